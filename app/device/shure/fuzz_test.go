package shure

import (
	"bytes"
	"slices"
	"testing"

	"micboard/app/device"
)

// FuzzSplitParse feeds arbitrary bytes through Splitter (whole, and cut in
// two at an arbitrary point) and every message through Parse and Apply. It
// must never panic, never hold more than MaxMessage pending bytes, give the
// same messages however the stream is cut, and re-encode samples exactly.
func FuzzSplitParse(f *testing.F) {
	for _, s := range []string{
		"< REP 1 CHAN_NAME {Lead Vox                       } >",
		"< SAMPLE 1 ALL XB 035 098 >< SAMPLE 1 ALL 005 031 102 102 BB 31 086 31 065 >",
		"< SAMPLE 1 ALL 255 000 005 033 XX 00 011 00 012 >< REP ERR >",
		"< SAMPLE 1 ALL 102 102 086 >< REP MODEL {AD4Q-A} >< REP 1 TX_OFFSET 015 >",
		"junk>< BROKEN < REP 2 FREQUENCY 0594075 >",
	} {
		f.Add([]byte(s), uint16(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		whole := frames(data)
		i := int(cut) % (len(data) + 1)
		split := frames(data[:i], data[i:])
		if !slices.Equal(whole, split) {
			t.Fatalf("cut at %d changed the messages:\n%q\n%q", i, whole, split)
		}
		var s Splitter
		s.Feed(data, func([]byte) {})
		if s.Pending() > MaxMessage+1 {
			t.Fatalf("pending %d > MaxMessage", s.Pending())
		}
		for _, msg := range whole {
			if len(msg) > MaxMessage || bytes.ContainsAny([]byte(msg), "<>") {
				t.Fatalf("bad frame %.80q", msg)
			}
			m, err := Parse([]byte(msg))
			if err != nil {
				continue
			}
			for _, fam := range []Family{FamilyUnknown, FamilyULXD, FamilyAD, FamilySLXD} {
				var r device.Reading
				Apply(&r, &m, fam)
			}
			if m.Kind == KindSample {
				again, err := Parse(bytes.Trim(AppendSample(nil, m.Channel, &m.Sample), "<> "))
				if err != nil || again.Sample != m.Sample || again.Channel != m.Channel {
					t.Fatalf("sample %q did not round-trip: %v %+v", msg, err, again.Sample)
				}
			}
		}
	})
}

func frames(chunks ...[]byte) []string {
	var s Splitter
	var out []string
	for _, c := range chunks {
		s.Feed(c, func(m []byte) { out = append(out, string(m)) })
	}
	return out
}
