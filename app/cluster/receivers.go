package cluster

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"micboard/app/live"
	"micboard/app/store"
)

// receiversChannel carries the ids of receivers whose settings changed in
// the database (migration 0015's triggers: the receiver, its channels'
// overrides, an assignment, a performer's name).
const receiversChannel = "micboard_receivers"

// Reloader loads a receiver onto the board again when its settings change
// in the database, on whichever instance they were changed: each instance's
// tiles show a new assignment or override at once.
type Reloader struct {
	Store  *store.Store
	Board  *live.Board
	Logger *slog.Logger
	// Every gathers notifications before loading (default 100 ms): a bulk
	// change of many channels loads each receiver once.
	Every time.Duration
	// Loaded, when set, runs after each batch (the alert rules read the
	// assignments' flags again).
	Loaded func(ctx context.Context)

	mu      sync.Mutex
	pending map[int64]bool
	wake    chan struct{}
	once    sync.Once
}

func (r *Reloader) init() {
	r.once.Do(func() {
		r.pending = map[int64]bool{}
		r.wake = make(chan struct{}, 1)
		if r.Every <= 0 {
			r.Every = 100 * time.Millisecond
		}
		if r.Logger == nil {
			r.Logger = slog.New(slog.DiscardHandler)
		}
	})
}

// Attach registers the reloader on the listener.
func (r *Reloader) Attach(l *Listener) {
	r.init()
	l.Handle(receiversChannel, func(_ context.Context, payload string) {
		id, err := strconv.ParseInt(payload, 10, 64)
		if err != nil || id <= 0 {
			r.Logger.Warn("cluster: a receiver notification could not be read; ignored", "payload", payload)
			return
		}
		r.Mark(id)
	})
}

// Mark asks for a receiver to be loaded again.
func (r *Reloader) Mark(id int64) {
	r.init()
	r.mu.Lock()
	r.pending[id] = true
	r.mu.Unlock()
	poke(r.wake)
}

// Run loads marked receivers until ctx ends.
func (r *Reloader) Run(ctx context.Context) {
	r.init()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.Every):
		}
		r.mu.Lock()
		ids := r.pending
		r.pending = map[int64]bool{}
		r.mu.Unlock()
		for id := range ids {
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := r.Board.LoadReceiver(lctx, r.Store, id)
			cancel()
			switch {
			case errors.Is(err, store.ErrNotFound):
				r.Board.RemoveReceiver(id) // deleted
			case err != nil && ctx.Err() == nil:
				r.Logger.Warn("cluster: load a changed receiver onto the board", "receiver", id, "err", err)
			}
		}
		if r.Loaded != nil {
			r.Loaded(ctx)
		}
	}
}
