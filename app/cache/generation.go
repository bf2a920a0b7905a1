package cache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	libstore "github.com/eko/gocache/lib/v4/store"
	redisstore "github.com/eko/gocache/store/redis/v4"
	"github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"
)

// Tag generations close the race between a read-through and a write: a
// read that loaded its answer before a write committed must not store it
// after the write's invalidation, where it would stay until its TTL. Every
// InvalidateTags bumps the generation of its tags before it drops their
// keys; Load notes the generations before it loads and stores the answer
// only if none moved meanwhile, checked and stored in one step (a lock in
// memory, WATCH/MULTI in Redis). A store that comes before the bump is
// dropped by the drop that follows it; one that comes after is refused.

// genKeyPrefix names the generation counters in Redis (under keyPrefix).
const genKeyPrefix = "gen:"

// tagTTL is how long gocache's Redis store keeps a tag's key set.
const tagTTL = 720 * time.Hour

// generations are the memory store's counters.
type generations struct {
	mu   sync.Mutex // held while a value is checked and stored, and while counters move
	tags map[string]uint64
}

// epoch is the generations of a read's tags when it began.
type epoch []uint64

func (e epoch) String() string {
	var b strings.Builder
	for i, g := range e {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(g, 10))
	}
	return b.String()
}

func genKeys(tags []string) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = keyPrefix + genKeyPrefix + t
	}
	return out
}

// epochOf reads the generations of tags.
func (c *Cache) epochOf(ctx context.Context, tags []string) (epoch, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	if c.redis == nil {
		c.gens.mu.Lock()
		defer c.gens.mu.Unlock()
		return c.gens.current(tags), nil
	}
	if !c.usable(ctx) {
		return nil, ErrUnavailable
	}
	e, err := redisEpoch(ctx, c.redis, tags)
	if err != nil {
		c.failed(ctx, err)
		return nil, fmt.Errorf("cache generations %v: %w", tags, err)
	}
	return e, nil
}

// current is the generations of tags; the caller holds g.mu.
func (g *generations) current(tags []string) epoch {
	e := make(epoch, len(tags))
	for i, t := range tags {
		e[i] = g.tags[t]
	}
	return e
}

func redisEpoch(ctx context.Context, r redis.Cmdable, tags []string) (epoch, error) {
	vals, err := r.MGet(ctx, genKeys(tags)...).Result()
	if err != nil {
		return nil, err
	}
	e := make(epoch, len(tags))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			if e[i], err = strconv.ParseUint(s, 10, 64); err != nil {
				return nil, fmt.Errorf("generation of %s: %w", tags[i], err)
			}
		}
	}
	return e, nil
}

func sameEpoch(a, b epoch) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// bump moves the generations of tags on, before their keys are dropped.
func (c *Cache) bump(ctx context.Context, tags []string) error {
	if c.redis == nil {
		c.gens.mu.Lock()
		defer c.gens.mu.Unlock()
		if c.gens.tags == nil {
			c.gens.tags = map[string]uint64{}
		}
		for _, t := range tags {
			c.gens.tags[t]++
		}
		return nil
	}
	for _, k := range genKeys(tags) {
		if err := c.redis.Incr(ctx, k).Err(); err != nil {
			return err
		}
	}
	return nil
}

// errMoved: a write invalidated the tags while the value was loaded.
var errMoved = errors.New("tags invalidated while loading")

// storeIfCurrent caches v under key with tags unless a tag's generation
// moved on from e. It returns errMoved when it did (nothing is stored).
func storeIfCurrent[T any](ctx context.Context, c *Cache, key string, v T, ttl time.Duration, tags []string, e epoch) error {
	if len(tags) == 0 {
		return setValue(ctx, c, key, v, ttl, tags)
	}
	if c.local != nil {
		held := clone(v) // outside the lock: a deep copy may take a while
		c.gens.mu.Lock()
		defer c.gens.mu.Unlock()
		if !sameEpoch(c.gens.current(tags), e) {
			return errMoved
		}
		opts := []libstore.Option{libstore.WithExpiration(ttl), libstore.WithTags(prefixed(tags))}
		if err := c.local.Set(ctx, keyPrefix+key, held, opts...); err != nil {
			return fmt.Errorf("cache set %s: %w", key, err)
		}
		return nil
	}
	b, err := msgpack.Marshal(v)
	if err != nil {
		return fmt.Errorf("cache encode %s: %w", key, err)
	}
	if !c.usable(ctx) {
		return ErrUnavailable
	}
	// The value and its tag sets go in one MULTI, so an invalidation can
	// never see the value without the tag that drops it.
	err = c.redis.Watch(ctx, func(tx *redis.Tx) error {
		now, err := redisEpoch(ctx, tx, tags)
		if err != nil {
			return err
		}
		if !sameEpoch(now, e) {
			return errMoved
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, keyPrefix+key, b, ttl)
			for _, t := range prefixed(tags) {
				tagKey := fmt.Sprintf(redisstore.RedisTagPattern, t)
				p.SAdd(ctx, tagKey, keyPrefix+key)
				p.Expire(ctx, tagKey, tagTTL)
			}
			return nil
		})
		return err
	}, genKeys(tags)...)
	switch {
	case errors.Is(err, redis.TxFailedErr):
		return errMoved // a generation moved between WATCH and EXEC
	case errors.Is(err, errMoved), err == nil:
		return err
	}
	c.failed(ctx, err)
	return fmt.Errorf("cache set %s: %w", key, err)
}
