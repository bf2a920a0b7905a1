package alert

import (
	"sync"
)

// Feed keeps the latest alert events in order for the browser: the live
// streams read it once per tick for all of them (like the board's journal),
// so the cost of an alert does not grow with the number of browsers.
type Feed struct {
	mu     sync.RWMutex
	seq    uint64
	events []feedEntry // ring of the last feedSize events
}

type feedEntry struct {
	seq uint64
	ev  Event
}

const feedSize = 256

// NewFeed returns an empty feed.
func NewFeed() *Feed { return &Feed{events: make([]feedEntry, feedSize)} }

// Publish implements Publisher.
func (f *Feed) Publish(ev Event) {
	f.mu.Lock()
	f.seq++
	f.events[f.seq%feedSize] = feedEntry{f.seq, ev}
	f.mu.Unlock()
}

// Seq is the number of the latest event.
func (f *Feed) Seq() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.seq
}

// Since calls fn for every event after seq, oldest first (events older
// than the ring are skipped), and returns the seq to ask from next.
func (f *Feed) Since(seq uint64, fn func(Event)) uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if seq > f.seq {
		return f.seq
	}
	from := seq + 1
	if f.seq >= feedSize && from <= f.seq-feedSize {
		from = f.seq - feedSize + 1
	}
	for s := from; s <= f.seq; s++ {
		fn(f.events[s%feedSize].ev)
	}
	return f.seq
}
