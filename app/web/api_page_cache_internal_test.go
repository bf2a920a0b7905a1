package web

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"micboard/app/cache"
	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

// receiverReads counts the statements that read the receivers table.
type receiverReads struct{ n atomic.Int64 }

func (q *receiverReads) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}
func (q *receiverReads) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if strings.HasPrefix(e.Query, "SELECT") && strings.Contains(e.Query, `FROM "receivers"`) {
		q.n.Add(1)
	}
}

// The receivers list page is cached as encoded JSON: a second call reads
// nothing from PostgreSQL, and a write through the store drops it, so the
// next call shows the write.
func TestAPIReceiversPageIsCachedAndDropped(t *testing.T) {
	r := newAuthRig(t, nil)
	c := cache.NewMemory(nil)
	cached := store.NewCached(r.s.db, c)
	s, err := New(Deps{Config: r.s.cfg, DB: r.s.db, Store: cached, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	env := &storetest.Env{T: t, Ctx: t.Context(), DB: r.s.db, St: cached}
	rx := env.Receiver(storetest.Rx{Name: "Rack A", Channels: 1})
	reads := &receiverReads{}
	r.s.db.AddQueryHook(reads)
	_, token := r.apiToken("LED wall", model.RoleViewer)

	get := func(path string) string {
		res, body := bearerCall(t, s.Handler(), token, http.MethodGet, path, "")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %q %s", path, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		return body
	}
	first := get("/api/v1/receivers?limit=10&order=name")
	n := reads.n.Load()
	if second := get("/api/v1/receivers?order=name&limit=10"); second != first || reads.n.Load() != n {
		t.Fatalf("the second call (same query, parameters reordered) read receivers %d times", reads.n.Load()-n)
	}
	pageHits := func() uint64 {
		for _, g := range c.Stats() {
			if g.Group == "apipage" {
				return g.Hits
			}
		}
		return 0
	}
	if pageHits() != 1 {
		t.Fatalf("the second call was not answered from the encoded page (%d page hits)", pageHits())
	}
	if other := get("/api/v1/receivers?limit=10&order=-name"); other == "" || reads.n.Load() == n {
		t.Fatal("another query was answered from the first one's page")
	}

	rx.Receiver.Name = "Rack A renamed"
	if err := cached.Receivers.Update(t.Context(), rx.Receiver, "name"); err != nil {
		t.Fatal(err)
	}
	if after := get("/api/v1/receivers?limit=10&order=name"); !strings.Contains(after, "Rack A renamed") {
		t.Fatalf("after a rename the page still says %s", after)
	}
	// An error is answered, not cached.
	if res, _ := bearerCall(t, s.Handler(), token, http.MethodGet, "/api/v1/receivers?limit=0", ""); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad limit: %d", res.StatusCode)
	}
}
