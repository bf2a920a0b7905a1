package live

import (
	"testing"
	"time"

	"micboard/app/model"
)

// The ring keeps values inline; what a chart reads back must be what the
// tile said, unknown values must stay unknown, and the oldest samples must
// give way in order once the window is full.
func TestRingKeepsValuesAndOrderAcrossTheWindow(t *testing.T) {
	r := newRing(3)
	start := time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC)
	bars, pct, audio := 4, 80, -18.5
	known := Tile{Status: model.StatusGood, RFLevelDBm: []float64{-71, -64.5},
		Battery: model.Battery{Bars: &bars, Percent: &pct}, AudioDBFS: &audio}
	unknown := Tile{Status: model.StatusRxOffline}

	r.add(start, &known, time.Second)
	r.add(start.Add(500*time.Millisecond), &unknown, time.Second) // within the step: dropped
	r.add(start.Add(time.Second), &unknown, time.Second)
	r.add(start.Add(2*time.Second), &known, time.Second)
	r.add(start.Add(3*time.Second), &known, time.Second) // wraps: the first sample goes

	pts := r.points()
	if len(pts) != 3 {
		t.Fatalf("points = %d, want 3", len(pts))
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		if !pts[i].At.Equal(start.Add(want)) {
			t.Fatalf("point %d at %v, want %v", i, pts[i].At, start.Add(want))
		}
	}
	if p := pts[0]; p.BatteryBars != nil || p.BatteryPct != nil || p.RFDBm != nil || p.AudioDBFS != nil || p.Status != model.StatusRxOffline {
		t.Fatalf("unknown tile read back as %+v", p)
	}
	p := pts[2]
	if p.BatteryBars == nil || *p.BatteryBars != 4 || p.BatteryPct == nil || *p.BatteryPct != 80 {
		t.Fatalf("battery read back as %v / %v", p.BatteryBars, p.BatteryPct)
	}
	if p.RFDBm == nil || *p.RFDBm != -64.5 || p.AudioDBFS == nil || *p.AudioDBFS != -18.5 || p.Status != model.StatusGood {
		t.Fatalf("known tile read back as %+v", p)
	}
}

func TestRingClampsImpossibleBatteryFigures(t *testing.T) {
	r := newRing(1)
	huge := 1 << 20
	r.add(time.Unix(1, 0), &Tile{Battery: model.Battery{Percent: &huge}}, time.Second)
	if got := *r.points()[0].BatteryPct; got != 1<<15-1 {
		t.Fatalf("percent read back as %d, want it clamped to %d", got, 1<<15-1)
	}
}

// Every status the board shows reads back from the history as it went in.
func TestRingKeepsEveryStatus(t *testing.T) {
	for _, st := range sampleStatuses[1:] {
		r := newRing(1)
		r.add(time.Unix(1, 0), &Tile{Status: st}, time.Second)
		if got := r.points()[0].Status; got != st {
			t.Errorf("status %s read back as %q", st, got)
		}
	}
}
