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
}

func newRing(n int) *ring {
	if n < 1 {
		n = 1
	}
	return &ring{buf: make([]Point, n)}
}

func (r *ring) last() (Point, bool) {
	if !r.full && r.next == 0 {
		return Point{}, false
	}
	i := r.next - 1
	if i < 0 {
		i = len(r.buf) - 1
	}
	return r.buf[i], true
}

// add keeps a point for t unless one was kept less than step ago.
func (r *ring) add(now time.Time, t *Tile, step time.Duration) {
	if p, ok := r.last(); ok && now.Sub(p.At) < step {
		return
	}
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
