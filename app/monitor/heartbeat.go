package monitor

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"micboard/app/service"
)

// heartbeats collects the receivers that are online, so one statement every
// HeartbeatEvery records the last message of all that were heard meanwhile,
// instead of a timer and an UPDATE per receiver.
type heartbeats struct {
	mu      sync.Mutex
	last    map[int64]*atomic.Int64 // receiver → unix nanos of its last message
	written map[int64]int64         // receiver → the message time last written
}

func (h *heartbeats) add(id int64, last *atomic.Int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		h.last, h.written = map[int64]*atomic.Int64{}, map[int64]int64{}
	}
	h.last[id] = last
	h.written[id] = last.Load() // the online record just stamped it
}

func (h *heartbeats) remove(id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.last, id)
	delete(h.written, id)
}

// due returns the receivers heard since their last heartbeat was written,
// and marks them written.
func (h *heartbeats) due() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []int64
	for id, last := range h.last {
		if at := last.Load(); at != h.written[id] {
			h.written[id] = at
			ids = append(ids, id)
		}
	}
	return ids
}

// runHeartbeats writes the batched heartbeat every HeartbeatEvery until ctx
// ends.
func (m *Manager) runHeartbeats(ctx context.Context) {
	tk := time.NewTicker(m.opts.HeartbeatEvery)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			ids := m.beats.due()
			if len(ids) == 0 {
				continue
			}
			err := m.writeFor(ctx, ids, func(_ *service.TimedDevices, conns *service.TimedConnections, ids []int64) error {
				return conns.HeartbeatMany(ctx, ids)
			})
			if err != nil && ctx.Err() == nil {
				m.log.Warn("heartbeat", "receivers", len(ids), "err", err)
			}
		}
	}
}
