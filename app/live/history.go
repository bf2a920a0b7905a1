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

// sample is a Point as the ring keeps it: a 1,000-channel board holds 180
// of them per channel, so values sit inline instead of behind four
// pointers each, and the status is a number (24 bytes a sample instead of
// about 100 and four allocations). float32 is finer than any chart draws.
type sample struct {
	at     int64 // Unix nanoseconds
	rf     float32
	audio  float32
	bars   int16
	pct    int16
	has    uint8 // which of the values above were known
	status uint8 // index in sampleStatuses
}

// sampleStatuses numbers the statuses a sample keeps; 0 is none.
var sampleStatuses = [...]model.Status{"", model.StatusRxOffline, model.StatusAudioPeak, model.StatusCritical,
	model.StatusReplace, model.StatusGood, model.StatusPrevGood, model.StatusPrevReplace, model.StatusPrevCritical,
	model.StatusTxOff, model.StatusUnassigned}

func statusCode(s model.Status) uint8 {
	for i, v := range sampleStatuses {
		if v == s {
			return uint8(i)
		}
	}
	return 0
}

const (
	hasBars uint8 = 1 << iota
	hasPct
	hasRF
	hasAudio
)

func (s sample) point() Point {
	p := Point{At: time.Unix(0, s.at), Status: sampleStatuses[s.status]}
	if s.has&hasBars != 0 {
		v := int(s.bars)
		p.BatteryBars = &v
	}
	if s.has&hasPct != 0 {
		v := int(s.pct)
		p.BatteryPct = &v
	}
	if s.has&hasRF != 0 {
		v := float64(s.rf)
		p.RFDBm = &v
	}
	if s.has&hasAudio != 0 {
		v := float64(s.audio)
		p.AudioDBFS = &v
	}
	return p
}

// ring keeps the last n samples, at most one per step.
type ring struct {
	buf  []sample
	next int
	full bool
	// lastAt is the newest point's time, kept apart so the check made on
	// every reading does not reach into the buffer (a cache miss per
	// channel ten times a second on a big fleet).
	lastAt time.Time
}

// newRing allocates the whole window at once, so a board's memory is what
// it will be after the window has filled, not less for the first minutes.
func newRing(n int) *ring {
	if n < 1 {
		n = 1
	}
	return &ring{buf: make([]sample, n)}
}

// add keeps a point for t unless one was kept less than step ago.
func (r *ring) add(now time.Time, t *Tile, step time.Duration) {
	if !r.lastAt.IsZero() && now.Sub(r.lastAt) < step {
		return
	}
	r.lastAt = now
	s := sample{at: now.UnixNano(), status: statusCode(t.Status)}
	if b := t.Battery.Bars; b != nil {
		s.bars, s.has = int16(clampInt16(*b)), s.has|hasBars
	}
	if p := t.Battery.Percent; p != nil {
		s.pct, s.has = int16(clampInt16(*p)), s.has|hasPct
	}
	if v, ok := t.RFMax(); ok {
		s.rf, s.has = float32(v), s.has|hasRF
	}
	if a := t.AudioDBFS; a != nil {
		s.audio, s.has = float32(*a), s.has|hasAudio
	}
	r.buf[r.next] = s
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

func (r *ring) points() []Point {
	n := r.next
	if r.full {
		n = len(r.buf)
	}
	out := make([]Point, 0, n)
	if r.full {
		for _, s := range r.buf[r.next:] {
			out = append(out, s.point())
		}
	}
	for _, s := range r.buf[:r.next] {
		out = append(out, s.point())
	}
	return out
}

// clampInt16 keeps a device's figure in the sample's range; bars and
// percent are far inside it, but a device's bytes are not trusted.
func clampInt16(v int) int {
	const lo, hi = -1 << 15, 1<<15 - 1
	return max(lo, min(hi, v))
}
