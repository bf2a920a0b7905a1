package store_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/cache"
	"micboard/app/cache/redistest"
	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

// queryCounter counts the statements that reach PostgreSQL.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (q *queryCounter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if !strings.HasPrefix(e.Query, "BEGIN") && !strings.HasPrefix(e.Query, "COMMIT") {
		q.n.Add(1)
	}
}

// caches returns the cache stores the tests run against: memory always,
// the shared Redis when it answers (always in CI).
func caches(t *testing.T) map[string]func(t *testing.T) *cache.Cache {
	return map[string]func(t *testing.T) *cache.Cache{
		"memory": func(*testing.T) *cache.Cache { return cache.NewMemory(nil) },
		"redis": func(t *testing.T) *cache.Cache {
			c, err := cache.NewRedis(t.Context(), redistest.SharedURL(t), nil)
			if err != nil {
				redistest.Unavailable(t, err.Error())
			}
			t.Cleanup(func() { c.Close() })
			return c
		},
	}
}

// cachedEnv is a fresh database with a fleet on it and a cached store
// over it whose statements are counted. Each test database has its own
// name, but a shared Redis outlives it: keys of other runs must not
// matter, so every test starts from its own receivers.
type cachedEnv struct {
	*storetest.Env
	cached  *store.Store
	queries *queryCounter
	loc     *model.Location
	rx      []*storetest.Built
}

func newCachedEnv(t *testing.T, c *cache.Cache) *cachedEnv {
	e := storetest.New(t)
	q := &queryCounter{}
	e.DB.AddQueryHook(q)
	loc := e.Location(uniqueName("Stage"), nil)
	env := &cachedEnv{Env: e, cached: store.NewCached(e.DB, c), queries: q, loc: loc}
	for i := range 3 {
		env.rx = append(env.rx, e.Receiver(storetest.Rx{
			Name: uniqueName("RX"), LocationID: &loc.ID, Online: i > 0,
			Batteries: []storetest.Battery{storetest.Pct(10 + 40*i), storetest.Bars(i + 1)},
		}))
		if _, err := e.St.Connections.Ensure(e.Ctx, env.rx[i].Receiver.ID, model.ConnConnected); err != nil {
			t.Fatal(err)
		}
	}
	// A shared Redis may hold answers of a database that had the same
	// ids; this test's writes above went through an uncached store.
	if err := c.InvalidateTags(e.Ctx, "receivers", "channels", "transmitters", "locations", "connections"); err != nil {
		t.Fatal(err)
	}
	return env
}

var nameSeq atomic.Int64

func uniqueName(prefix string) string {
	return prefix + time.Now().Format("150405.000000") + "-" + string(rune('a'+nameSeq.Add(1)%26))
}

// reads are the cached read-heavy queries, each returning something that
// changes when the data does.
func reads(e *cachedEnv) map[string]func() (string, error) {
	ctx := e.Ctx
	st := e.cached
	return map[string]func() (string, error){
		"receivers": func() (string, error) {
			l, err := st.Receivers.Query().Active().WithChannels().WithRelations().OrderBy("name", false).List(ctx)
			return describeReceivers(l), err
		},
		"receiver count": func() (string, error) {
			n, err := st.Receivers.Query().Online().Count(ctx)
			return itoa(n), err
		},
		"low battery transmitters": func() (string, error) {
			l, err := st.Transmitters.Query().WithLowBattery(model.LowAt(20)).OnActiveReceivers().List(ctx)
			var b strings.Builder
			for _, tx := range l {
				b.WriteString(itoa(int(tx.ChannelID)) + ":" + intp(tx.BatteryPercent) + "/" + intp(tx.BatteryBars) + " ")
			}
			return b.String(), err
		},
		"location counts": func() (string, error) {
			l, err := st.Locations.Query().WithDeviceCounts().List(ctx)
			var b strings.Builder
			for _, loc := range l {
				b.WriteString(loc.Name + "=" + itoa(loc.DeviceCount) + " ")
			}
			return b.String(), err
		},
		"unhealthy connections": func() (string, error) {
			l, err := st.Connections.Query().Unhealthy(30 * time.Second).List(ctx)
			var b strings.Builder
			for _, c := range l {
				b.WriteString(itoa(int(c.ReceiverID)) + ":" + string(c.Status) + " ")
			}
			return b.String(), err
		},
	}
}

func describeReceivers(l []*model.Receiver) string {
	var b strings.Builder
	for _, r := range l {
		b.WriteString(r.Name + "@" + itoa(int(deref(r.LocationID))) + "[")
		for _, ch := range r.Channels {
			b.WriteString(ch.Name)
			if ch.Transmitter != nil {
				b.WriteString(":" + intp(ch.Transmitter.BatteryPercent))
			}
			b.WriteString(",")
		}
		if r.Connection != nil {
			b.WriteString(string(r.Connection.Status))
		}
		b.WriteString("] ")
	}
	return b.String()
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func itoa(n int) string { return intp(&n) }

// The second read of each cached query does not reach PostgreSQL.
func TestCachedReadsSkipTheDatabase(t *testing.T) {
	for kind, open := range caches(t) {
		t.Run(kind, func(t *testing.T) {
			e := newCachedEnv(t, open(t))
			for name, read := range reads(e) {
				first, err := read()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				before := e.queries.n.Load()
				second, err := read()
				if err != nil {
					t.Fatalf("%s again: %v", name, err)
				}
				if n := e.queries.n.Load() - before; n != 0 {
					t.Errorf("%s: the second read ran %d statements", name, n)
				}
				if first != second {
					t.Errorf("%s: cached answer %q differs from %q", name, second, first)
				}
			}
			// The uncached view always asks the database.
			before := e.queries.n.Load()
			if _, err := e.cached.Fresh().Receivers.Query().Active().List(e.Ctx); err != nil {
				t.Fatal(err)
			}
			if e.queries.n.Load() == before {
				t.Error("Fresh read from the cache")
			}
		})
	}
}

// A write through the cached store, its Fresh view (the monitor's) or a
// transaction drops every answer it changes before it returns: the next
// read sees it.
func TestWritesInvalidateBeforeTheyReturn(t *testing.T) {
	writes := []struct {
		name    string
		changes []string // reads whose answer must change
		setup   func(e *cachedEnv) error
		write   func(e *cachedEnv) error
	}{
		{"rename a receiver", []string{"receivers"}, nil, func(e *cachedEnv) error {
			r := e.rx[0].Receiver
			r.Name = uniqueName("Renamed")
			return e.cached.Receivers.Update(e.Ctx, r, "name")
		}},
		{"a receiver goes offline (monitor)", []string{"receiver count"}, nil, func(e *cachedEnv) error {
			_, err := e.cached.Fresh().Receivers.SetOnline(e.Ctx, e.rx[1].Receiver.ID, false, time.Now())
			return err
		}},
		{"a battery drains (persister)", []string{"receivers", "low battery transmitters"}, nil, func(e *cachedEnv) error {
			tx := e.rx[2].Transmitters[0]
			tx.BatteryPercent = storetest.Int(5)
			return e.cached.Fresh().Transmitters.Upsert(e.Ctx, tx)
		}},
		{"a channel renamed", []string{"receivers"}, nil, func(e *cachedEnv) error {
			return e.cached.Channels.SetDeviceFacts(e.Ctx, e.rx[0].Channels[0].ID, "HH99 Renamed", nil)
		}},
		{"receivers moved out of the location", []string{"receivers", "location counts"}, nil, func(e *cachedEnv) error {
			_, err := e.cached.Locations.AssignDevices(e.Ctx, nil, e.rx[0].Receiver.ID)
			return err
		}},
		{"a location renamed", []string{"location counts"}, nil, func(e *cachedEnv) error {
			e.loc.Name = uniqueName("Renamed stage")
			return e.cached.Locations.Update(e.Ctx, e.loc)
		}},
		{"a link fails", []string{"unhealthy connections", "receivers"}, nil, func(e *cachedEnv) error {
			return e.cached.Connections.RecordError(e.Ctx, e.rx[1].Receiver.ID, "connection refused", time.Now())
		}},
		{"in a transaction", []string{"receivers", "receiver count"}, nil, func(e *cachedEnv) error {
			return e.cached.InTx(e.Ctx, func(tx *store.Store) error {
				_, err := tx.Receivers.SetActive(e.Ctx, false, e.rx[1].Receiver.ID)
				return err
			})
		}},
		{"a receiver deleted", []string{"receivers", "receiver count", "location counts", "unhealthy connections"}, func(e *cachedEnv) error {
			return e.cached.Connections.RecordError(e.Ctx, e.rx[2].Receiver.ID, "gone", time.Now())
		}, func(e *cachedEnv) error {
			return e.cached.Receivers.Delete(e.Ctx, e.rx[2].Receiver.ID)
		}},
	}
	for kind, open := range caches(t) {
		t.Run(kind, func(t *testing.T) {
			c := open(t)
			for _, w := range writes {
				t.Run(w.name, func(t *testing.T) {
					e := newCachedEnv(t, c)
					if w.setup != nil {
						if err := w.setup(e); err != nil {
							t.Fatal(err)
						}
					}
					rs := reads(e)
					before := map[string]string{}
					for name, read := range rs {
						v, err := read()
						if err != nil {
							t.Fatal(err)
						}
						before[name] = v
					}
					if err := w.write(e); err != nil {
						t.Fatalf("write: %v", err)
					}
					for _, name := range w.changes {
						after, err := rs[name]()
						if err != nil {
							t.Fatal(err)
						}
						if after == before[name] {
							t.Errorf("%s still reads %q after the write", name, after)
						}
						// The cached answer is the database's: a fresh store agrees.
						e2 := *e
						e2.cached = e.St
						if want, _ := reads(&e2)[name](); want != after {
							t.Errorf("%s reads %q, the database says %q", name, after, want)
						}
					}
				})
			}
		})
	}
}

// A transaction reads around the cache (it may see its own writes) and
// drops what it changed only once committed; a rolled-back one changes
// nothing.
func TestTransactionsAndTheCache(t *testing.T) {
	e := newCachedEnv(t, cache.NewMemory(nil))
	count := func(st *store.Store) int {
		n, err := st.Receivers.Query().Online().Count(e.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	was := count(e.cached)
	boom := errors.New("rolled back")
	err := e.cached.InTx(e.Ctx, func(tx *store.Store) error {
		if _, err := tx.Receivers.SetOnline(e.Ctx, e.rx[1].Receiver.ID, false, time.Now()); err != nil {
			return err
		}
		if got := count(tx); got != was-1 {
			t.Errorf("inside the transaction: %d online, want %d", got, was-1)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := count(e.cached); got != was {
		t.Fatalf("after the rollback: %d online, want %d", got, was)
	}
}

// Stopping Redis mid-test only turns caching off: every read and write
// still succeeds, from PostgreSQL, and the answers stay right.
func TestRedisStoppedMidTest(t *testing.T) {
	srv := redistest.Private(t)
	c, err := cache.NewRedis(t.Context(), srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e := newCachedEnv(t, c)
	rs := reads(e)
	for name, read := range rs {
		if _, err := read(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	srv.Stop()
	r := e.rx[0].Receiver
	r.Name = uniqueName("During outage")
	if err := e.cached.Receivers.Update(e.Ctx, r, "name"); err != nil {
		t.Fatalf("a write failed for the cache: %v", err)
	}
	for name, read := range rs {
		before := e.queries.n.Load()
		got, err := read()
		if err != nil {
			t.Fatalf("%s during the outage: %v", name, err)
		}
		if e.queries.n.Load() == before {
			t.Errorf("%s was answered without the database while Redis is down", name)
		}
		if name == "receivers" && !strings.Contains(got, r.Name) {
			t.Errorf("receivers during the outage = %q, want the new name %q", got, r.Name)
		}
	}
}
