package cache_test

import (
	"context"
	"testing"

	"micboard/app/cache"
)

func TestLoadCountsHitsAndMisses(t *testing.T) {
	ctx := context.Background()
	c := cache.NewMemory(nil)
	load := func(context.Context) ([]string, error) { return []string{"HH01", "HH02"}, nil }
	for range 4 {
		v, err := cache.Load(ctx, c, "receivers:all", cache.Short, load, "receivers")
		if err != nil || len(v) != 2 {
			t.Fatalf("load = %v, %v", v, err)
		}
		v[0] = "changed by a caller" // must not reach the next caller
	}
	v, _ := cache.Load(ctx, c, "receivers:all", cache.Short, load, "receivers")
	if v[0] != "HH01" {
		t.Fatalf("a caller's change reached the cache: %v", v)
	}
	st := c.Stats()
	if len(st) != 1 || st[0].Group != "receivers" || st[0].Hits != 4 || st[0].Misses != 1 {
		t.Fatalf("stats = %+v, want receivers with 4 hits and 1 miss", st)
	}
	if r := st[0].HitRate(); r != 0.8 {
		t.Fatalf("hit rate = %v", r)
	}
	if !c.Available() {
		t.Fatal("a memory cache is always available")
	}
}

func TestPresets(t *testing.T) {
	if cache.Short.Seconds() != 60 || cache.Medium.Seconds() != 300 || cache.Long.Seconds() != 900 || cache.Hour.Seconds() != 3600 {
		t.Fatalf("presets = %v %v %v %v", cache.Short, cache.Medium, cache.Long, cache.Hour)
	}
}
