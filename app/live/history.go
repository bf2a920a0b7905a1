package live

import (
	"time"

	"micboard/app/model"
)

// Point is one moment of a channel's history, for the detail charts.
type Point struct {
	At          time.Time
	BatteryBars *int
	BatteryPct  *int
	RFDBm       *float64
	AudioDBFS   *float64
	Status      model.Status
}

// ring keeps the last n points, at most one per step.
type ring struct {
	buf  []Point
	next int
	full bool
	// lastAt is the newest point's time, kept apart so the check made on
	// every reading does not reach into the buffer (a cache miss per
	// channel ten times a second on a big fleet).
	lastAt time.Time
}

func newRing(n int) *ring {
	if n < 1 {
		n = 1
	}
	return &ring{buf: make([]Point, n)}
}

// add keeps a point for t unless one was kept less than step ago.
func (r *ring) add(now time.Time, t *Tile, step time.Duration) {
	if !r.lastAt.IsZero() && now.Sub(r.lastAt) < step {
		return
	}
	r.lastAt = now
	p := Point{At: now, BatteryBars: copyInt(t.Battery.Bars), BatteryPct: copyInt(t.Battery.Percent),
		AudioDBFS: copyFloat(t.AudioDBFS), Status: t.Status}
	if v, ok := t.RFMax(); ok {
		p.RFDBm = &v
	}
	r.buf[r.next] = p
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

func (r *ring) points() []Point {
	if !r.full {
		return append([]Point(nil), r.buf[:r.next]...)
	}
	out := make([]Point, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

func copyInt(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func copyFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
