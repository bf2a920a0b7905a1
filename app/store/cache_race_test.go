package store_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"micboard/app/store"
)

// holdKey marks the context of the read the holdRead hook stops.
type holdKey struct{}

// holdRead stops the first SELECT run with holdKey in its context right
// after PostgreSQL answered it, until released: the read then holds the
// rows as they were, and whatever happens meanwhile happens between its
// load and its store into the cache.
type holdRead struct {
	armed   atomic.Bool
	loaded  chan struct{}
	release chan struct{}
}

func (h *holdRead) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (h *holdRead) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	if ctx.Value(holdKey{}) == nil || !strings.HasPrefix(e.Query, "SELECT") || !h.armed.CompareAndSwap(true, false) {
		return
	}
	close(h.loaded)
	<-h.release
}

// A list read that began before a write committed, and whose rows predate
// it, finishes after the write's invalidation: the cache must not keep
// those rows, or every later read would see the write undone until the
// TTL. The steps are forced in order by the hook, for a write alone and
// one in a transaction, with the memory store and with Redis.
func TestAReadBeforeAWriteDoesNotUndoIt(t *testing.T) {
	for name, mk := range caches(t) {
		for _, inTx := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "/write", true: "/transaction"}[inTx], func(t *testing.T) {
				e := newCachedEnv(t, mk(t))
				hold := &holdRead{loaded: make(chan struct{}), release: make(chan struct{})}
				e.DB.AddQueryHook(hold)
				list := func(ctx context.Context) string {
					l, err := e.cached.Receivers.Query().InLocation(e.loc.ID).WithRelations().OrderBy("name", false).List(ctx)
					if err != nil {
						t.Error(err)
					}
					return describeReceivers(l)
				}
				before := list(e.Ctx)
				must(t, e.cached.Locations.Update(e.Ctx, e.loc)) // drop the cached answer: the next read loads

				// 1. A read loads the list and is held before it stores it.
				hold.armed.Store(true)
				held := make(chan string, 1)
				go func() { held <- list(context.WithValue(e.Ctx, holdKey{}, true)) }()
				<-hold.loaded

				// 2. A write renames a receiver of the list, commits and
				// invalidates.
				r := e.rx[0].Receiver
				r.Name = uniqueName("Renamed")
				if inTx {
					must(t, e.cached.InTx(e.Ctx, func(tx *store.Store) error { return tx.Receivers.Update(e.Ctx, r, "name") }))
				} else {
					must(t, e.cached.Receivers.Update(e.Ctx, r, "name"))
				}

				// 3. The held read returns the rows it read.
				close(hold.release)
				if got := <-held; got != before {
					t.Fatalf("the held read answered %q, want the rows it read: %q", got, before)
				}
				// 4. Every read after the write sees it.
				for range 2 {
					if got := list(e.Ctx); !strings.Contains(got, r.Name) {
						t.Fatalf("after the write the list is %q: the held read cached the rows before it", got)
					}
				}
			})
		}
	}
}
