package cache

import (
	"context"
	"errors"
	"time"
)

// How long read-through answers live. Every write that changes an answer
// drops it by tag at once, so these bound only what other processes'
// writes (a command-line tool without the shared cache) can leave behind.
const (
	Short  = 60 * time.Second
	Medium = 5 * time.Minute
	Long   = 15 * time.Minute
	Hour   = time.Hour
)

// Load is the read-through: the cached value of key when there is one,
// else load's result, cached for ttl under tags. Concurrent loads of one
// key run load once; each caller gets its own copy of the value, so one
// caller changing it cannot change another's. A broken or unavailable
// cache is bypassed (the cache logs it once): the answer then comes from
// load, and a request never fails for the cache. Errors are not cached.
//
// Keys are "group:rest"; the group names the hit-rate line in Stats.
func Load[T any](ctx context.Context, c *Cache, key string, ttl time.Duration, load func(context.Context) (T, error), tags ...string) (T, error) {
	v, err := getValue[T](ctx, c, key)
	if err == nil {
		c.stats.hit(key)
		return v, nil
	}
	// A miss, an unavailable store, or an entry of an older shape: load it
	// again (and overwrite it).
	c.stats.miss(key)
	if err != nil && !errors.Is(err, ErrMiss) && !errors.Is(err, ErrUnavailable) {
		c.log.DebugContext(ctx, "cache read failed; loading from source", "key", key, "err", err)
	}
	// The tags' generations before the load: if a write invalidates them
	// while it runs, the answer may predate the write and is not stored
	// (generation.go). Readers share one load only within one generation,
	// so a read that starts after a write never gets an answer loaded
	// before it.
	at, epochErr := c.epochOf(ctx, tags)
	var mine T
	var leader bool
	res, err, _ := c.flight.Do(key+"\x00"+at.String(), func() (any, error) {
		leader = true
		v, err := load(ctx)
		if err != nil {
			return nil, err
		}
		mine = v
		if epochErr == nil {
			err = storeIfCurrent(ctx, c, key, v, ttl, tags, at)
		}
		switch {
		case errors.Is(err, errMoved):
			c.log.DebugContext(ctx, "cache write skipped: a write changed the answer while it loaded", "key", key)
		case err != nil && !errors.Is(err, ErrUnavailable):
			c.log.DebugContext(ctx, "cache write failed", "key", key, "err", err)
		}
		// The leader returns v itself; followers share a copy of it that
		// nobody changes, and each takes a copy of that.
		return clone(v), nil
	})
	if err != nil {
		return v, err
	}
	if leader {
		return mine, nil
	}
	// Followers get copies of the leader's answer, not the answer itself.
	return clone(res.(T)), nil
}
