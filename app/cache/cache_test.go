package cache_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"micboard/app/cache"
)

type receiver struct {
	ID      string
	Name    string
	Battery int
	Tags    []string
}

// stores returns every store the tests run against: memory always, Redis
// when it answers (and always in CI, where a missing Redis is a failure).
func stores(t *testing.T) map[string]*cache.Cache {
	t.Helper()
	out := map[string]*cache.Cache{"memory": cache.NewMemory(nil)}
	url := os.Getenv("MICBOARD_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	rc, err := cache.New(context.Background(), url, nil)
	switch {
	case err == nil:
		out["redis"] = rc
	case os.Getenv("CI") != "":
		t.Fatalf("redis at %s is required in CI: %v", url, err)
	default:
		t.Logf("redis tests skipped: %v", err)
	}
	for _, c := range out {
		t.Cleanup(func() { c.Close() })
	}
	return out
}

// unique keeps runs (and parallel packages) apart in a shared Redis.
func unique(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func TestNewPicksStore(t *testing.T) {
	c, err := cache.New(context.Background(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Kind() != cache.KindMemory {
		t.Fatalf("kind = %s, want memory", c.Kind())
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	for name, c := range stores(t) {
		if c.Kind() != name {
			t.Errorf("kind = %s, want %s", c.Kind(), name)
		}
	}
}

func TestNewRedisErrors(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"unreachable", "redis://:hunter2@127.0.0.1:1/0", "connect to redis"},
		{"bad url", "http://example", "parse redis url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cache.New(context.Background(), tt.url, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("password leaked: %v", err)
			}
		})
	}
}

func TestTypedRoundTrip(t *testing.T) {
	ctx := context.Background()
	for name, c := range stores(t) {
		t.Run(name, func(t *testing.T) {
			rx := cache.NewTyped[receiver](c, unique("rx"), time.Minute)
			if _, err := rx.Get(ctx, "1"); !errors.Is(err, cache.ErrMiss) {
				t.Fatalf("empty get: err = %v, want ErrMiss", err)
			}
			want := receiver{ID: "1", Name: "HH01 Fatai", Battery: 4, Tags: []string{"stage-left"}}
			if err := rx.Set(ctx, "1", want); err != nil {
				t.Fatal(err)
			}
			got, err := rx.Get(ctx, "1")
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != want.Name || got.Battery != want.Battery || len(got.Tags) != 1 {
				t.Fatalf("got %+v, want %+v", got, want)
			}
			if err := rx.Delete(ctx, "1"); err != nil {
				t.Fatal(err)
			}
			if _, err := rx.Get(ctx, "1"); !errors.Is(err, cache.ErrMiss) {
				t.Fatalf("after delete: err = %v, want ErrMiss", err)
			}
			if err := rx.Delete(ctx, "1"); err != nil {
				t.Fatalf("deleting an absent key: %v", err)
			}
		})
	}
}

func TestTypedExpires(t *testing.T) {
	ctx := context.Background()
	for name, c := range stores(t) {
		t.Run(name, func(t *testing.T) {
			n := cache.NewTyped[int](c, unique("ttl"), 50*time.Millisecond)
			if err := n.Set(ctx, "k", 7); err != nil {
				t.Fatal(err)
			}
			if v, err := n.Get(ctx, "k"); err != nil || v != 7 {
				t.Fatalf("fresh get = %v, %v", v, err)
			}
			deadline := time.Now().Add(2 * time.Second)
			for {
				_, err := n.Get(ctx, "k")
				if errors.Is(err, cache.ErrMiss) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("value did not expire: err = %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func TestInvalidateTags(t *testing.T) {
	ctx := context.Background()
	for name, c := range stores(t) {
		t.Run(name, func(t *testing.T) {
			tag := unique("location")
			rx := cache.NewTyped[receiver](c, unique("rx"), time.Minute)
			must(t, rx.Set(ctx, "a", receiver{ID: "a"}, tag))
			must(t, rx.Set(ctx, "b", receiver{ID: "b"}, tag))
			must(t, rx.Set(ctx, "c", receiver{ID: "c"}))
			must(t, c.InvalidateTags(ctx, tag))
			for _, k := range []string{"a", "b"} {
				if _, err := rx.Get(ctx, k); !errors.Is(err, cache.ErrMiss) {
					t.Errorf("%s survived its tag: err = %v", k, err)
				}
			}
			if _, err := rx.Get(ctx, "c"); err != nil {
				t.Errorf("untagged key dropped: %v", err)
			}
		})
	}
}

func TestLoadReadsThrough(t *testing.T) {
	ctx := context.Background()
	for name, c := range stores(t) {
		t.Run(name, func(t *testing.T) {
			rx := cache.NewTyped[receiver](c, unique("rx"), time.Minute)
			var calls atomic.Int32
			load := func(context.Context) (receiver, error) {
				calls.Add(1)
				time.Sleep(20 * time.Millisecond) // long enough for callers to pile up
				return receiver{ID: "9", Name: "BP09 Spare"}, nil
			}
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					v, err := rx.Load(ctx, "9", load)
					if err != nil || v.Name != "BP09 Spare" {
						t.Errorf("load = %+v, %v", v, err)
					}
				}()
			}
			wg.Wait()
			if v, err := rx.Load(ctx, "9", load); err != nil || v.ID != "9" {
				t.Fatalf("cached load = %+v, %v", v, err)
			}
			if n := calls.Load(); n != 1 {
				t.Fatalf("loader ran %d times, want 1", n)
			}
		})
	}
}

func TestLoadErrorIsNotCached(t *testing.T) {
	ctx := context.Background()
	for name, c := range stores(t) {
		t.Run(name, func(t *testing.T) {
			n := cache.NewTyped[int](c, unique("err"), time.Minute)
			boom := errors.New("database down")
			if _, err := n.Load(ctx, "k", func(context.Context) (int, error) { return 0, boom }); !errors.Is(err, boom) {
				t.Fatalf("err = %v, want %v", err, boom)
			}
			v, err := n.Load(ctx, "k", func(context.Context) (int, error) { return 42, nil })
			if err != nil || v != 42 {
				t.Fatalf("second load = %v, %v", v, err)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
