package live_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device"
	"micboard/app/device/shure"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// The fleet of the devices issue: 250 four-channel receivers, alternately
// ULX-D (one RF level per channel) and Axient Digital (one per antenna), so
// both shapes of reading reach the board.
const (
	benchReceivers = 250
	benchChannels  = 4
)

// benchRx is one registered receiver of the benchmark fleet.
type benchRx struct {
	id    int64
	ad    bool
	name  string
	names [benchChannels]string
}

// benchBoard registers the fleet in a fresh database through the same
// service the monitor uses, then loads a board from it, so the board holds
// exactly what `micboard serve` would hold. The database is only needed to
// build the board: Apply never touches it.
func benchBoard(b *testing.B) (*live.Board, []benchRx) {
	b.Helper()
	ctx := context.Background()
	st := store.New(dbtest.New(b))
	devs := service.NewDevices(st)
	rxs := make([]benchRx, benchReceivers)
	for i := range rxs {
		r := &rxs[i]
		r.ad = i%2 == 1
		r.name = fmt.Sprintf("Rack %03d", i+1)
		rep := service.DeviceReport{
			Vendor: model.VendorShure, Host: fmt.Sprintf("10.0.%d.%d", i/200, i%200+1), Port: 2202,
			Model: "ULXD4Q", Name: r.name, Serial: fmt.Sprintf("BENCH%04d", i),
		}
		if r.ad {
			rep.Model = "AD4Q"
		}
		for n := 1; n <= benchChannels; n++ {
			// Eight characters: the longest name a ULX-D stores.
			r.names[n-1] = fmt.Sprintf("HH%02d %03d", n, i%1000)
			f := 470000 + i*100 + n*25
			rep.Channels = append(rep.Channels, service.ChannelReport{Number: n, Name: r.names[n-1], FrequencyKHz: &f})
		}
		rx, _, err := devs.UpsertFromReport(ctx, rep)
		if err != nil {
			b.Fatalf("register receiver %d: %v", i, err)
		}
		r.id = rx.ID
	}
	board := live.NewBoard(live.Options{})
	if err := board.Load(ctx, st); err != nil {
		b.Fatal(err)
	}
	if n := len(board.Tiles()); n != benchReceivers*benchChannels {
		b.Fatalf("board has %d tiles, want %d", n, benchReceivers*benchChannels)
	}
	return board, rxs
}

// drain runs one subscriber the way the SSE stream and the persister do:
// wake on Ready, take the pending set. It shares the two cores with the
// publisher, as a real subscriber would.
func drain(board *live.Board) (stop func()) {
	sub := board.Subscribe()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-sub.Ready():
				sub.Take()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		sub.Close()
	}
}

// meterReading is what one channel's meter sample says once decoded: RF per
// antenna, diversity and audio (plus quality and the clip flag on Axient).
// Every tenth reading of a channel also carries the battery, as the driver's
// 10-second refresh does.
func meterReading(rng *rand.Rand, ch int, ad, withBattery bool) device.Reading {
	var r device.Reading
	c := r.Channel(ch)
	if ad {
		c.RFLevelDBm = []float64{-40 - float64(rng.IntN(40)), -40 - float64(rng.IntN(40))}
		c.Diversity = device.Some("BB")
		c.AudioLevelDBFS = device.Some(-float64(rng.IntN(60)))
		c.AudioPeakDBFS = device.Some(-float64(rng.IntN(50)))
		c.AudioPeak = device.Some(false)
		c.Quality, c.QualityMax = device.Some(3+rng.IntN(3)), 5
	} else {
		c.RFLevelDBm = []float64{-40 - float64(rng.IntN(40))}
		c.Diversity = device.Some([]string{"AX", "XB"}[rng.IntN(2)])
		c.AudioLevelDBFS = device.Some(-float64(rng.IntN(50)))
	}
	if withBattery {
		c.BatteryBars = device.Some(3 + rng.IntN(3))
		c.BatteryMinutes, c.BatteryRuntime = device.Some(300+rng.IntN(200)), device.RuntimeValid
		c.BatteryPercent = device.Some(60 + rng.IntN(40))
	}
	return r
}

// BenchmarkApplyReadings measures the board alone: decoded readings applied
// round-robin to 1,000 channels with one subscriber draining, as the monitor
// feeds it. One op is one channel's reading.
func BenchmarkApplyReadings(b *testing.B) {
	board, rxs := benchBoard(b)
	// Readings are built before timing (decoding is the other benchmark's
	// job); Apply copies what it keeps, so reusing them is safe. Ten rounds
	// give every channel nine meter-only readings and one with battery.
	const rounds = 10
	rng := rand.New(rand.NewPCG(1, 2))
	type job struct {
		rx int64
		r  device.Reading
	}
	jobs := make([]job, 0, rounds*len(rxs)*benchChannels)
	for round := range rounds {
		for _, rx := range rxs {
			for n := 1; n <= benchChannels; n++ {
				jobs = append(jobs, job{rx.id, meterReading(rng, n, rx.ad, round == rounds-1)})
			}
		}
	}
	stop := drain(board)
	defer stop()
	// Readings carry their own time, as the driver stamps them: 1,000
	// channels at one sample a second is one reading per millisecond, so
	// the history ring keeps points at the rate it would in a show.
	start := time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		j := jobs[i%len(jobs)]
		j.r.At = start.Add(time.Duration(i) * time.Millisecond)
		if unknown := board.Apply(j.rx, j.r); len(unknown) > 0 {
			b.Fatalf("board does not know channels %v of receiver %d", unknown, j.rx)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "readings/s")
}

// BenchmarkShureDecodeToBoard follows the real driver path for the same
// fleet: the bytes a Shure receiver sends in one TCP read (a burst of four
// SAMPLEs; every tenth second also the refresh answers for names and
// battery) go through the Splitter and Decoder into a device.Reading, which
// is applied to the board, exactly as shure.Client.handle and the monitor
// do. One op is one TCP read of one receiver.
func BenchmarkShureDecodeToBoard(b *testing.B) {
	board, rxs := benchBoard(b)
	const rounds = 10
	rng := rand.New(rand.NewPCG(3, 4))
	type conn struct {
		rx    int64
		sp    shure.Splitter
		dec   shure.Decoder
		reads [rounds][]byte
	}
	conns := make([]*conn, len(rxs))
	msgs := 0
	for i, rx := range rxs {
		c := &conn{rx: rx.id, dec: shure.Decoder{Family: shure.FamilyULXD}}
		if rx.ad {
			c.dec.Family = shure.FamilyAD
		}
		for round := range rounds {
			var sb strings.Builder
			for n := 1; n <= benchChannels; n++ {
				sb.WriteString(shureSample(rng, rx.ad, n))
				msgs++
			}
			if round == rounds-1 {
				msgs += writeRefresh(&sb, rng, rx)
			}
			c.reads[round] = []byte(sb.String())
		}
		conns[i] = c
	}
	msgsPerOp := float64(msgs) / float64(rounds*len(rxs))
	stop := drain(board)
	defer stop()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := conns[i%len(conns)]
		p := c.reads[(i/len(conns))%rounds]
		// As shure.Client.handle: one Reading per read, stamped on arrival.
		r := device.Reading{At: time.Now()}
		c.sp.Feed(p, func(msg []byte) { _, _ = c.dec.Decode(&r, msg) })
		if !r.Empty() {
			if unknown := board.Apply(c.rx, r); len(unknown) > 0 {
				b.Fatalf("board does not know channels %v of receiver %d", unknown, c.rx)
			}
		}
		i++
	}
	for _, c := range conns {
		if c.dec.Malformed > 0 || c.dec.Errors > 0 {
			b.Fatalf("decoder saw %d malformed messages and %d errors: the benchmark's bytes are wrong", c.dec.Malformed, c.dec.Errors)
		}
	}
	perSec := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(perSec, "reads/s")
	b.ReportMetric(perSec*msgsPerOp, "msgs/s")
	// Channel readings, comparable with BenchmarkApplyReadings: a read
	// carries one sample per channel.
	b.ReportMetric(perSec*benchChannels, "readings/s")
}

// shureSample renders one SAMPLE message in the layout of the receiver's
// family (PROTOCOLS.md §1), with values that wander like a live channel's.
func shureSample(rng *rand.Rand, ad bool, ch int) string {
	if !ad {
		// ULX-D: the antenna in use, RF (dBm + 128), audio (dBFS + 50).
		return fmt.Sprintf("< SAMPLE %d ALL %s %03d %03d >", ch, []string{"AX", "XB"}[rng.IntN(2)], 60+rng.IntN(40), 10+rng.IntN(35))
	}
	// Axient Digital: quality, audio LED bitmap, peak, RMS, per antenna the
	// letter, RF LED bitmap and RF (dBm + 120).
	rms := 60 + rng.IntN(50)
	return fmt.Sprintf("< SAMPLE %d ALL %03d %03d %03d %03d BB %02d %03d %02d %03d >",
		ch, 3+rng.IntN(3), 15, min(rms+6, 120), rms, 31, 50+rng.IntN(40), 15, 50+rng.IntN(40))
}

// writeRefresh appends the answers to the driver's periodic re-query
// (shure.RefreshQueries): the receiver's name, every channel's name and
// battery. It returns how many messages it wrote.
func writeRefresh(sb *strings.Builder, rng *rand.Rand, rx benchRx) int {
	width, bars, mins, pct := 8, "BATT_BARS", "BATT_RUN_TIME", "BATT_CHARGE"
	if rx.ad {
		width, bars, mins, pct = 31, "TX_BATT_BARS", "TX_BATT_MINS", "TX_BATT_CHARGE_PERCENT"
	}
	pad := func(s string, w int) string { return "{" + s + strings.Repeat(" ", w-len(s)) + "}" }
	fmt.Fprintf(sb, "< REP DEVICE_ID %s >", pad(rx.name, 31))
	for n := 1; n <= benchChannels; n++ {
		fmt.Fprintf(sb, "< REP %d CHAN_NAME %s >", n, pad(rx.names[n-1], width))
		fmt.Fprintf(sb, "< REP %d %s %03d >", n, bars, 3+rng.IntN(3))
		fmt.Fprintf(sb, "< REP %d %s %05d >", n, mins, 300+rng.IntN(200))
		fmt.Fprintf(sb, "< REP %d %s %03d >", n, pct, 60+rng.IntN(40))
	}
	return 1 + 4*benchChannels
}
