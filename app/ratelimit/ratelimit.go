// Package ratelimit counts events per key over a window with
// github.com/ulule/limiter: in this process by default, in Redis when one is
// configured, so several instances share their counts. Failed logins use it
// per username and per client address; API tokens will use Middleware.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/store/memory"
	redisstore "github.com/ulule/limiter/v3/drivers/store/redis"
)

// keyPrefix keeps Micboard's counters apart in a shared Redis.
const keyPrefix = "micboard:limit:"

// Store is where counts live; one Store serves every Limiter of a process.
type Store struct {
	store limiter.Store
	kind  string
}

// NewStore returns a Redis-backed store on client, or an in-process one
// when client is nil.
func NewStore(client *redis.Client) (*Store, error) {
	if client == nil {
		return &Store{kind: "memory", store: memory.NewStoreWithOptions(limiter.StoreOptions{
			Prefix: keyPrefix, CleanUpInterval: time.Minute,
		})}, nil
	}
	st, err := redisstore.NewStoreWithOptions(client, limiter.StoreOptions{Prefix: keyPrefix})
	if err != nil {
		return nil, fmt.Errorf("rate limit store on redis: %w", err)
	}
	return &Store{kind: "redis", store: st}, nil
}

// Kind is "memory" or "redis".
func (s *Store) Kind() string { return s.kind }

// Limiter allows Limit events per key in each Period.
type Limiter struct {
	name string
	lim  *limiter.Limiter
}

// New returns a limiter of limit events per period. name keeps its keys
// apart from other limiters on the same store ("login-user").
func (s *Store) New(name string, limit int64, period time.Duration) *Limiter {
	return &Limiter{name: name, lim: limiter.New(s.store, limiter.Rate{Limit: limit, Period: period})}
}

// Result is the state of one key.
type Result struct {
	Limit     int64
	Remaining int64
	// Blocked: the key has used up its events; RetryAfter says for how long.
	Blocked    bool
	RetryAfter time.Duration
}

func (l *Limiter) key(k string) string { return l.name + ":" + k }

func result(c limiter.Context) Result {
	r := Result{Limit: c.Limit, Remaining: c.Remaining, Blocked: c.Remaining <= 0}
	if r.Blocked {
		r.RetryAfter = max(time.Until(time.Unix(c.Reset, 0)), time.Second)
	}
	return r
}

// Peek tells whether key may have another event, without counting one.
func (l *Limiter) Peek(ctx context.Context, key string) (Result, error) {
	c, err := l.lim.Peek(ctx, l.key(key))
	if err != nil {
		return Result{}, fmt.Errorf("rate limit %s: peek: %w", l.name, err)
	}
	return result(c), nil
}

// Hit counts one event for key and returns the state after it; the event
// that uses the last of the limit is allowed (Blocked tells the next one).
func (l *Limiter) Hit(ctx context.Context, key string) (Result, error) {
	c, err := l.lim.Get(ctx, l.key(key))
	if err != nil {
		return Result{}, fmt.Errorf("rate limit %s: count: %w", l.name, err)
	}
	r := result(c)
	r.Blocked = c.Reached
	return r, nil
}

// Reset forgets key's events.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if _, err := l.lim.Reset(ctx, l.key(key)); err != nil {
		return fmt.Errorf("rate limit %s: reset: %w", l.name, err)
	}
	return nil
}

// SetRetryAfter writes the Retry-After header (whole seconds, rounded up).
func SetRetryAfter(h http.Header, d time.Duration) {
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(max(d, time.Second).Seconds()))))
}

// Middleware counts every request under the key key returns (an API
// token's name, a client address) and answers 429 with Retry-After once
// the key is over its limit. An empty key is not limited. A store that
// fails lets the request through (and the error is logged by the caller's
// onError), so a Redis hiccup does not take the API down.
func (l *Limiter) Middleware(key func(echo.Context) string, onError func(echo.Context, error)) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			k := key(c)
			if k == "" {
				return next(c)
			}
			r, err := l.Hit(c.Request().Context(), k)
			if err != nil {
				if onError != nil {
					onError(c, err)
				}
				return next(c)
			}
			h := c.Response().Header()
			h.Set("X-RateLimit-Limit", strconv.FormatInt(r.Limit, 10))
			h.Set("X-RateLimit-Remaining", strconv.FormatInt(max(r.Remaining, 0), 10))
			if r.Blocked {
				SetRetryAfter(h, r.RetryAfter)
				return echo.NewHTTPError(http.StatusTooManyRequests)
			}
			return next(c)
		}
	}
}
