package store

import (
	"context"
	"testing"

	"micboard/app/cache"
	"micboard/app/cache/redistest"
)

// A request that gives up right after its write still drops what the
// write changed: Redis would refuse a cancelled context.
func TestDropOutlivesTheRequest(t *testing.T) {
	c, err := cache.NewRedis(t.Context(), redistest.Private(t).URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	loads := 0
	load := func(context.Context) (int, error) { loads++; return loads, nil }
	read := func() int {
		v, err := cache.Load(t.Context(), c, "receivers:probe", cache.Short, load, tagReceivers)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if read() != 1 || read() != 1 {
		t.Fatal("the answer was not cached")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	(&readCache{c: c}).changed(ctx, tagReceivers)
	if v := read(); v != 2 {
		t.Fatalf("after a write whose request was cancelled the cache answered %d, want a fresh load", v)
	}
}
