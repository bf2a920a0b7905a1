package sim

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the simulator's time source. Everything time-based (battery drain,
// meter pushes, drop/restore, subscription lifetimes) goes through it so tests
// can replace minutes of wall time with ManualClock.Advance.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once, d from now, on a goroutine of the clock's
	// choosing (ManualClock runs it inside Advance).
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop cancels the call; it reports whether the call was still pending.
	Stop() bool
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (RealClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// ManualClock only moves when Advance is called. Timers fire inside Advance,
// in deadline order, with Now() equal to their deadline, so a test that
// advances ten minutes sees exactly what ten real minutes would have done.
type ManualClock struct {
	advanceMu sync.Mutex // one Advance at a time keeps firing order total
	mu        sync.Mutex
	now       time.Time
	seq       uint64
	timers    timerHeap
}

// NewManualClock returns a clock stopped at start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d. A non-positive d fires on the next Advance.
func (c *ManualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{c: c, when: c.now.Add(d), seq: c.seq, f: f, index: -1}
	heap.Push(&c.timers, t)
	return t
}

// Advance moves the clock forward by d, running every timer that falls due on
// the way. Timers scheduled by those callbacks run too if they fall within d.
func (c *ManualClock) Advance(d time.Duration) {
	c.advanceMu.Lock()
	defer c.advanceMu.Unlock()
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].when.After(target) {
			c.now = target
			c.mu.Unlock()
			return
		}
		t := heap.Pop(&c.timers).(*manualTimer)
		if t.when.After(c.now) {
			c.now = t.when
		}
		c.mu.Unlock()
		// Run without the lock: callbacks re-arm themselves via AfterFunc.
		t.f()
	}
}

// Pending reports how many timers are scheduled.
func (c *ManualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

type manualTimer struct {
	c     *ManualClock
	when  time.Time
	seq   uint64
	f     func()
	index int
}

func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&t.c.timers, t.index)
	return true
}

type timerHeap []*manualTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].when.Equal(h[j].when) {
		return h[i].seq < h[j].seq
	}
	return h[i].when.Before(h[j].when)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*manualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}

// ticker calls f every d on a Clock until stopped. It re-arms after f returns,
// so a slow f stretches the period instead of piling up calls.
type ticker struct {
	mu      sync.Mutex
	clock   Clock
	d       time.Duration
	f       func()
	t       Timer
	stopped bool
}

func startTicker(c Clock, d time.Duration, f func()) *ticker {
	if d <= 0 {
		// A zero period would spin ManualClock.Advance forever.
		d = time.Millisecond
	}
	tk := &ticker{clock: c, d: d, f: f}
	tk.mu.Lock()
	tk.t = c.AfterFunc(d, tk.fire)
	tk.mu.Unlock()
	return tk
}

func (tk *ticker) fire() {
	tk.mu.Lock()
	if tk.stopped {
		tk.mu.Unlock()
		return
	}
	tk.mu.Unlock()
	tk.f()
	tk.mu.Lock()
	if !tk.stopped {
		tk.t = tk.clock.AfterFunc(tk.d, tk.fire)
	}
	tk.mu.Unlock()
}

func (tk *ticker) Stop() {
	if tk == nil {
		return
	}
	tk.mu.Lock()
	defer tk.mu.Unlock()
	tk.stopped = true
	if tk.t != nil {
		tk.t.Stop()
	}
}
