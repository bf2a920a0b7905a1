package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// retryEvery is how long a cache whose store failed stays off before it is
// tried again: one failed request turns it off, not one per request.
const retryEvery = 5 * time.Second

// health tracks whether the store answers. Only a Redis store can fail; the
// memory store is always healthy.
type health struct {
	mu      sync.Mutex
	down    bool
	probing bool
	retryAt time.Time
	retry   time.Duration // 0: retryEvery (tests shorten it)
}

func (h *health) wait() time.Duration {
	if h.retry > 0 {
		return h.retry
	}
	return retryEvery
}

// usable reports whether the store may be used now. While it is down, one
// caller per retryEvery probes it; when it answers again, everything
// Micboard cached is dropped first, since invalidations made during the
// outage were lost and its entries may be older than the database.
func (c *Cache) usable(ctx context.Context) bool {
	if c.redis == nil {
		return true
	}
	h := &c.health
	h.mu.Lock()
	if !h.down {
		h.mu.Unlock()
		return true
	}
	if h.probing || time.Now().Before(h.retryAt) {
		h.mu.Unlock()
		return false
	}
	h.probing = true
	h.mu.Unlock()

	err := c.Ping(ctx)
	if err == nil {
		err = c.flush(ctx)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.probing = false
	if err != nil {
		h.retryAt = time.Now().Add(h.wait())
		return false
	}
	h.down = false
	c.log.InfoContext(ctx, "cache answers again; emptied it of entries that may be stale", "store", c.kind)
	return true
}

// failed turns the cache off after a store error, logging a WARN once per
// outage. A caller's own cancelled context says nothing about the store.
func (c *Cache) failed(ctx context.Context, err error) {
	if c.redis == nil || ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return
	}
	h := &c.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		return
	}
	h.down = true
	h.retryAt = time.Now().Add(h.wait())
	c.stats.outages.Add(1)
	c.log.WarnContext(ctx, "cache unavailable; serving without it until it answers again", "store", c.kind, "err", err)
}

// Available reports whether the cache is in use (false while its store is
// down).
func (c *Cache) Available() bool {
	c.health.mu.Lock()
	defer c.health.mu.Unlock()
	return !c.health.down
}

// flush deletes every key Micboard stored in Redis, with the tag sets.
func (c *Cache) flush(ctx context.Context) error {
	for _, pattern := range []string{keyPrefix + "*", "gocache_tag_" + keyPrefix + "*"} {
		iter := c.redis.Scan(ctx, 0, pattern, 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 1000 {
				if err := c.redis.Unlink(ctx, batch...).Err(); err != nil {
					return fmt.Errorf("empty cache: %w", err)
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			return fmt.Errorf("empty cache: %w", err)
		}
		if len(batch) > 0 {
			if err := c.redis.Unlink(ctx, batch...).Err(); err != nil {
				return fmt.Errorf("empty cache: %w", err)
			}
		}
	}
	return nil
}
