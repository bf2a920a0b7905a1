package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"micboard/app/ratelimit"
)

// stores returns the memory store, and the Redis one when Redis answers
// (always in CI, where a missing Redis is a failure).
func stores(t *testing.T) map[string]*ratelimit.Store {
	t.Helper()
	mem, err := ratelimit.NewStore(nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*ratelimit.Store{"memory": mem}
	url := os.Getenv("MICBOARD_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = client.Ping(ctx).Err()
	switch {
	case err == nil:
		rs, err := ratelimit.NewStore(client)
		if err != nil {
			t.Fatal(err)
		}
		out["redis"] = rs
	case os.Getenv("CI") != "":
		t.Fatalf("redis at %s is required in CI: %v", url, err)
	default:
		t.Logf("redis tests skipped: %v", err)
	}
	return out
}

func unique(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func TestLimiterBlocksAfterLimitUntilReset(t *testing.T) {
	for kind, st := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			l := st.New(unique("test"), 3, time.Minute)
			key := "ana"
			for i := 1; i <= 3; i++ {
				if r, err := l.Peek(ctx, key); err != nil || r.Blocked {
					t.Fatalf("peek before event %d: %+v %v", i, r, err)
				}
				r, err := l.Hit(ctx, key)
				if err != nil || r.Blocked || r.Remaining != int64(3-i) {
					t.Fatalf("event %d: %+v %v", i, r, err)
				}
			}
			r, err := l.Peek(ctx, key)
			if err != nil || !r.Blocked || r.RetryAfter < time.Second || r.RetryAfter > time.Minute {
				t.Fatalf("after the limit: %+v %v", r, err)
			}
			if r, _ := l.Hit(ctx, key); !r.Blocked {
				t.Fatalf("fourth event allowed: %+v", r)
			}
			// Another key and another limiter's same key are apart.
			if r, _ := l.Peek(ctx, "bo"); r.Blocked {
				t.Fatal("another key is blocked")
			}
			if r, _ := st.New(unique("other"), 3, time.Minute).Peek(ctx, key); r.Blocked {
				t.Fatal("another limiter's key is blocked")
			}
			if err := l.Reset(ctx, key); err != nil {
				t.Fatal(err)
			}
			if r, _ := l.Peek(ctx, key); r.Blocked {
				t.Fatal("still blocked after reset")
			}
		})
	}
}

func TestLimiterWindowExpires(t *testing.T) {
	for kind, st := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			l := st.New(unique("short"), 1, 300*time.Millisecond)
			if _, err := l.Hit(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if r, _ := l.Peek(ctx, "k"); !r.Blocked {
				t.Fatal("not blocked after the limit")
			}
			time.Sleep(400 * time.Millisecond)
			if r, _ := l.Peek(ctx, "k"); r.Blocked {
				t.Fatalf("still blocked after the window: %+v", r)
			}
		})
	}
}

func TestMiddlewareAnswers429WithRetryAfter(t *testing.T) {
	st, err := ratelimit.NewStore(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	l := st.New("api", 2, time.Minute)
	e.GET("/x", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) },
		l.Middleware(func(c echo.Context) string { return c.Request().Header.Get("X-Token") }, nil))
	do := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		req.Header.Set("X-Token", token)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	for i := 0; i < 2; i++ {
		if rec := do("a"); rec.Code != http.StatusNoContent {
			t.Fatalf("request %d = %d", i, rec.Code)
		}
	}
	rec := do("a")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" || rec.Header().Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("third request = %d, headers %v", rec.Code, rec.Header())
	}
	if rec := do("b"); rec.Code != http.StatusNoContent {
		t.Fatalf("another token = %d", rec.Code)
	}
	if rec := do(""); rec.Code != http.StatusNoContent {
		t.Fatalf("no key = %d", rec.Code)
	}
}
