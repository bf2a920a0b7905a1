package web

import (
	"bytes"
	"context"
	"sync"
	"time"

	"micboard/app/live"
)

// The live receivers table: one goroutine follows the board's journal and
// re-reads the watched receivers from the store now and then; each row that
// changed is rendered once and the same bytes go to every open table that
// shows it. A browser's stream only copies bytes.
const (
	rowFlushEvery   = 250 * time.Millisecond // board changes reach the tables this fast
	rowRefreshEvery = 2 * time.Second        // what only the database knows (errors, last message)
	rowPingEvery    = 2 * time.Second
	rowQueue        = 64 // frames a slow table may fall behind before it reconnects
)

// receiverRowHub renders receiver rows once per change for every table.
type receiverRowHub struct {
	s *Server

	mu      sync.Mutex
	subs    map[*rowSub]struct{}
	watched map[int64]int    // receiver → how many tables show it
	frames  map[int64][]byte // receiver → its last row, as an SSE event
	running bool
	poke    chan struct{}
}

// rowSub is one open table: the receivers it shows and its queue.
type rowSub struct {
	ids    map[int64]bool
	frames chan []byte
	lagged chan struct{} // closed when it fell behind: the stream ends and the browser reconnects
	once   sync.Once
}

func newReceiverRowHub(s *Server) *receiverRowHub {
	return &receiverRowHub{s: s, subs: map[*rowSub]struct{}{}, watched: map[int64]int{}, frames: map[int64][]byte{}, poke: make(chan struct{}, 1)}
}

// join opens a table showing ids and returns its current rows as one
// write, so a (re)connected table is right at once.
func (h *receiverRowHub) join(ctx context.Context, ids []int64) (*rowSub, []byte) {
	sub := &rowSub{ids: map[int64]bool{}, frames: make(chan []byte, rowQueue), lagged: make(chan struct{})}
	h.mu.Lock()
	for _, id := range ids {
		if !sub.ids[id] {
			sub.ids[id] = true
			h.watched[id]++
		}
	}
	h.subs[sub] = struct{}{}
	start := !h.running
	h.running = true
	h.mu.Unlock()
	if start {
		go h.run()
	}
	rows, err := h.render(ctx, ids)
	if err != nil {
		h.s.log.WarnContext(ctx, "receivers table: render rows", "err", err)
	}
	var first bytes.Buffer
	h.mu.Lock()
	for _, id := range ids {
		if b, ok := rows[id]; ok {
			h.frames[id] = b
			first.Write(b)
		}
	}
	h.mu.Unlock()
	return sub, first.Bytes()
}

// leave closes a table.
func (h *receiverRowHub) leave(sub *rowSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, sub)
	for id := range sub.ids {
		if h.watched[id]--; h.watched[id] <= 0 {
			delete(h.watched, id)
			delete(h.frames, id)
		}
	}
}

// Poke asks for the watched rows to be read again now (after an action).
func (h *receiverRowHub) Poke() {
	select {
	case h.poke <- struct{}{}:
	default:
	}
}

// run follows the board and the store while any table is open.
func (h *receiverRowHub) run() {
	flush := time.NewTicker(rowFlushEvery)
	defer flush.Stop()
	refresh := time.NewTicker(rowRefreshEvery)
	defer refresh.Stop()
	board := h.s.board
	var since uint64
	if board != nil {
		since = board.Version()
	}
	for {
		var all bool
		select {
		case <-h.s.stopping:
			h.stop()
			return
		case <-flush.C:
		case <-refresh.C:
			all = true
		case <-h.poke:
			all = true
		}
		h.mu.Lock()
		if len(h.subs) == 0 {
			h.running = false
			h.mu.Unlock()
			return
		}
		watched := make(map[int64]bool, len(h.watched))
		for id := range h.watched {
			watched[id] = true
		}
		h.mu.Unlock()

		dirty := map[int64]bool{}
		if board != nil {
			var chans []int64
			next, complete := board.ChangesSince(since, func(id int64, c live.Change) {
				if c&live.ChangeState != 0 {
					chans = append(chans, id)
				}
			})
			since = next
			if !complete {
				all = true
			}
			for _, t := range board.TilesByID(chans) {
				if watched[t.ReceiverID] {
					dirty[t.ReceiverID] = true
				}
			}
		}
		if all {
			dirty = watched
		}
		if len(dirty) == 0 {
			continue
		}
		ids := make([]int64, 0, len(dirty))
		for id := range dirty {
			ids = append(ids, id)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rows, err := h.render(ctx, ids)
		cancel()
		if err != nil {
			h.s.log.Warn("receivers table: render rows", "err", err)
			continue
		}
		h.publish(rows)
	}
}

// publish sends each row that differs from the last one sent.
func (h *receiverRowHub) publish(rows map[int64][]byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, b := range rows {
		if _, ok := h.watched[id]; !ok || bytes.Equal(h.frames[id], b) {
			continue
		}
		h.frames[id] = b
		for sub := range h.subs {
			if !sub.ids[id] {
				continue
			}
			select {
			case sub.frames <- b:
			default:
				sub.once.Do(func() { close(sub.lagged) })
			}
		}
	}
}

func (h *receiverRowHub) stop() {
	h.mu.Lock()
	h.running = false
	h.mu.Unlock()
}

// render reads the receivers and draws their rows as "row" events.
func (h *receiverRowHub) render(ctx context.Context, ids []int64) (map[int64][]byte, error) {
	out := map[int64][]byte{}
	if len(ids) == 0 || h.s.store == nil {
		return out, nil
	}
	rxs, err := h.s.store.Receivers.Query().IDs(ids...).WithChannels().WithRelations().List(ctx)
	if err != nil {
		return nil, err
	}
	tiles := tilesOf(h.s.board, rxs)
	var html bytes.Buffer
	for _, rx := range rxs {
		html.Reset()
		if err := h.s.RenderPartial(&html, PartialAdminReceiverRow, newReceiverRow(rx, tiles)); err != nil {
			return nil, err
		}
		var ev bytes.Buffer
		appendEvent(&ev, "row", html.Bytes())
		out[rx.ID] = ev.Bytes()
	}
	return out, nil
}
