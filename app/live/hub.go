package live

import "sync"

// hub fans changes out to subscribers without ever blocking the publisher:
// each subscriber keeps a set of pending channel ids, so a slow one sees the
// latest state of each changed channel once (coalesced), never a backlog.
type hub struct {
	mu   sync.RWMutex
	subs map[*Subscription]struct{}
}

// Subscription receives the ids of channels that changed.
type Subscription struct {
	h       *hub
	mu      sync.Mutex
	pending map[int64]Change
	notify  chan struct{}
}

func (h *hub) subscribe() *Subscription {
	s := &Subscription{h: h, pending: map[int64]Change{}, notify: make(chan struct{}, 1)}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*Subscription]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (h *hub) publish(id int64, c Change) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs {
		s.mu.Lock()
		s.pending[id] |= c
		s.mu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default: // already signalled; the pending set carries the change
		}
	}
}

// Subscribers counts the open subscriptions.
func (b *Board) Subscribers() int {
	b.hub.mu.RLock()
	defer b.hub.mu.RUnlock()
	return len(b.hub.subs)
}

// Ready is signalled when changes are pending.
func (s *Subscription) Ready() <-chan struct{} { return s.notify }

// Take returns the pending changes and clears them.
func (s *Subscription) Take() map[int64]Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil
	}
	out := s.pending
	s.pending = make(map[int64]Change, len(out))
	return out
}

// Close unsubscribes.
func (s *Subscription) Close() {
	s.h.mu.Lock()
	delete(s.h.subs, s)
	s.h.mu.Unlock()
	s.mu.Lock()
	s.pending = map[int64]Change{}
	s.mu.Unlock()
}
