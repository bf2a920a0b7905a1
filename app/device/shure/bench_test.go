package shure

import (
	"testing"

	"micboard/app/device"
)

// stream repeats msg n times and cuts it into TCP-sized reads, so the
// benchmark also pays for messages split across reads.
func stream(msg string, n int) [][]byte {
	var all []byte
	for range n {
		all = append(all, msg...)
	}
	const mss = 1460
	var reads [][]byte
	for len(all) > 0 {
		k := min(mss, len(all))
		reads = append(reads, all[:k])
		all = all[k:]
	}
	return reads
}

var benchSamples = []struct{ name, msg string }{
	{"ULXD", "< SAMPLE 1 ALL XB 035 098 >"},
	{"AD", "< SAMPLE 1 ALL 005 031 102 102 BB 31 086 31 065 >"},
	{"ADQuad", "< SAMPLE 3 ALL 004 159 120 110 BRXB 31 086 07 065 00 010 15 070 >"},
}

// BenchmarkParseSample measures the hot path: Splitter + ParseInto on a
// stream of SAMPLE messages. It must not allocate.
func BenchmarkParseSample(b *testing.B) {
	for _, bs := range benchSamples {
		b.Run(bs.name, func(b *testing.B) {
			const perIter = 1000
			reads := stream(bs.msg, perIter)
			var (
				sp  Splitter
				m   Message
				bad int
			)
			fn := func(msg []byte) {
				if ParseInto(&m, msg) != nil || m.Kind != KindSample {
					bad++
				}
			}
			b.SetBytes(int64(len(bs.msg) * perIter))
			b.ReportAllocs()
			for b.Loop() {
				for _, r := range reads {
					sp.Feed(r, fn)
				}
			}
			if bad > 0 {
				b.Fatalf("%d messages failed to parse", bad)
			}
			b.ReportMetric(float64(b.N*perIter)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkDecodeSample adds what the client does per read: a Decoder
// filling a fresh device.Reading (this allocates the Reading's map and slices).
func BenchmarkDecodeSample(b *testing.B) {
	for _, bs := range benchSamples {
		b.Run(bs.name, func(b *testing.B) {
			const perIter = 1000
			reads := stream(bs.msg, perIter)
			var (
				sp  Splitter
				dec Decoder
			)
			b.ReportAllocs()
			for b.Loop() {
				for _, rd := range reads {
					r := device.Reading{}
					sp.Feed(rd, func(msg []byte) { _, _ = dec.Decode(&r, msg) })
				}
			}
			if dec.Malformed > 0 {
				b.Fatalf("%d malformed", dec.Malformed)
			}
			b.ReportMetric(float64(b.N*perIter)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
