package cache

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"micboard/app/cache/redistest"
)

// Stopping Redis turns the cache off: reads come from the source, nothing
// fails, one WARN is logged. When Redis is back the cache is used again,
// emptied first of what an invalidation lost during the outage may have
// left stale.
func TestRedisOutageOnlyTurnsCachingOff(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Private(t)
	url, stop, start := srv.URL, srv.Stop, srv.Start
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c, err := NewRedis(ctx, url, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.health.retry = 100 * time.Millisecond

	var source atomic.Int64 // the "database": its value and how often it was read
	source.Store(1)
	var reads atomic.Int64
	load := func(context.Context) (int64, error) { reads.Add(1); return source.Load(), nil }
	get := func() int64 {
		t.Helper()
		v, err := Load(ctx, c, "count:k", Short, load, "count")
		if err != nil {
			t.Fatalf("load failed: %v", err)
		}
		return v
	}
	if get() != 1 || get() != 1 || reads.Load() != 1 {
		t.Fatalf("before the outage: %d reads of the source, want 1", reads.Load())
	}

	stop()
	for i := range 20 {
		if v := get(); v != 1 {
			t.Fatalf("read %d during the outage = %d", i, v)
		}
	}
	if reads.Load() != 21 {
		t.Fatalf("%d reads of the source during the outage, want every read (20)", reads.Load()-1)
	}
	// A write during the outage: its invalidation is lost.
	source.Store(2)
	if err := c.InvalidateTags(ctx, "count"); !errors.Is(err, ErrUnavailable) && err == nil {
		t.Fatalf("invalidation while down: %v", err)
	}
	if c.Available() {
		t.Fatal("the cache still claims to be in use")
	}
	mu.Lock()
	warns := strings.Count(logs.String(), "level=WARN")
	mu.Unlock()
	if warns != 1 {
		t.Fatalf("%d WARN lines for one outage, want 1:\n%s", warns, logs.String())
	}

	start()
	time.Sleep(150 * time.Millisecond)
	if v := get(); v != 2 {
		t.Fatalf("after the outage the cache answered %d, the source holds 2", v)
	}
	before := reads.Load()
	if v := get(); v != 2 || reads.Load() != before {
		t.Fatalf("after the outage the cache is not used again (%d, %d reads)", v, reads.Load()-before)
	}
	if !c.Available() || c.Outages() != 1 {
		t.Fatalf("available %v, outages %d", c.Available(), c.Outages())
	}
}

// A Redis that hangs (SIGSTOP) and comes back with its data: an entry
// whose invalidation was lost meanwhile must not be served afterwards.
func TestRedisBackAfterOutageServesNothingStale(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Private(t)
	c, err := NewRedis(ctx, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.health.retry = 100 * time.Millisecond
	var source atomic.Int64
	source.Store(1)
	load := func(context.Context) (int64, error) { return source.Load(), nil }
	if v, err := Load(ctx, c, "count:k", Short, load, "count"); err != nil || v != 1 {
		t.Fatalf("first load = %d, %v", v, err)
	}

	srv.Freeze()
	source.Store(2) // a write whose invalidation cannot reach Redis
	start := time.Now()
	c.InvalidateTags(ctx, "count")
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("an invalidation against a hung Redis took %s", took)
	}
	if v, err := Load(ctx, c, "count:k", Short, load, "count"); err != nil || v != 2 {
		t.Fatalf("load during the outage = %d, %v", v, err)
	}
	srv.Thaw()
	time.Sleep(150 * time.Millisecond)
	if v, err := Load(ctx, c, "count:k", Short, load, "count"); err != nil || v != 2 {
		t.Fatalf("after the outage = %d, %v: the entry the lost invalidation should have dropped was served", v, err)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
