package cache_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"micboard/app/cache"
)

// source stands in for the database: a value that writes change, and a
// load that can be held between reading the value and returning it.
type source struct {
	mu      sync.Mutex
	value   string
	loads   atomic.Int64
	holdOne chan struct{} // when set, the next load reports on loaded and waits here
	loaded  chan struct{}
}

func (s *source) set(v string) {
	s.mu.Lock()
	s.value = v
	s.mu.Unlock()
}

func (s *source) load(context.Context) (string, error) {
	s.loads.Add(1)
	s.mu.Lock()
	v, hold := s.value, s.holdOne
	s.holdOne = nil
	s.mu.Unlock()
	if hold != nil {
		close(s.loaded)
		<-hold
	}
	return v, nil
}

// A read that loaded its answer before a write committed returns after
// the write's invalidation: it must not leave that old answer in the
// cache, and a read that starts after the write must not share its load.
// The steps are forced in this order with channels, not left to timing.
func TestAReadLoadedBeforeAWriteIsNotCachedAfterIt(t *testing.T) {
	for name, c := range stores(t) {
		for _, readBetween := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/read between %v", name, readBetween), func(t *testing.T) {
				raceOneRead(t, c, readBetween)
			})
		}
	}
}

func raceOneRead(t *testing.T, c *cache.Cache, readBetween bool) {
	ctx := context.Background()
	key, tag := unique("race:list"), unique("race-tag")
	src := &source{value: "old"}
	read := func() string {
		v, err := cache.Load(ctx, c, key, cache.Short, src.load, tag)
		if err != nil {
			t.Error(err)
		}
		return v
	}

	// 1. A read misses and loads "old"; it is held before it stores.
	release := make(chan struct{})
	src.holdOne, src.loaded = release, make(chan struct{})
	first := make(chan string, 1)
	go func() { first <- read() }()
	<-src.loaded

	// 2. A write commits and invalidates, as the store does.
	src.set("new")
	if err := c.InvalidateTags(ctx, tag); err != nil {
		t.Fatal(err)
	}

	// 3. A read that starts now gets the new value: it does not wait
	// for the held load, nor share its answer.
	if readBetween {
		after := make(chan string, 1)
		go func() { after <- read() }()
		select {
		case v := <-after:
			if v != "new" {
				t.Fatalf("a read after the write answered %q", v)
			}
		case <-time.After(5 * time.Second):
			close(release)
			t.Fatalf("a read after the write waited for the load that began before it (answered %q)", <-after)
		}
	}

	// 4. The held read finishes: its answer is its own ...
	close(release)
	if v := <-first; v != "old" {
		t.Fatalf("the held read answered %q", v)
	}
	// ... and it did not overwrite the cache with it.
	loads := src.loads.Load()
	for range 3 {
		if v := read(); v != "new" {
			t.Fatalf("after the held read stored its answer, the cache says %q until its TTL", v)
		}
	}
	if src.loads.Load() > loads+1 {
		t.Fatalf("the new value was not cached: %d more loads", src.loads.Load()-loads)
	}
}
