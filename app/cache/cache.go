// Package cache wires gocache for Micboard: an in-process store by default,
// Redis when MICBOARD_REDIS_URL is set (several instances then share one
// cache). Redis holds values in MessagePack (decoded four times faster than
// JSON); the memory store holds the values themselves and hands out deep
// copies (clone.go), many times cheaper than decoding on every hit.
package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	libcache "github.com/eko/gocache/lib/v4/cache"
	libstore "github.com/eko/gocache/lib/v4/store"
	gocachestore "github.com/eko/gocache/store/go_cache/v4"
	redisstore "github.com/eko/gocache/store/redis/v4"
	gocache "github.com/patrickmn/go-cache"
	"github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"
)

// ErrMiss reports a key that is not in the cache (absent or expired).
var ErrMiss = errors.New("cache miss")

// ErrUnavailable reports a cache whose store does not answer; it is
// skipped until the store answers again.
var ErrUnavailable = errors.New("cache unavailable")

// Redis returns the Redis client of a Redis-backed cache, or nil, so other
// shared state (rate limits) can use the same connection pool.
func (c *Cache) Redis() *redis.Client { return c.redis }

// Kinds of store a Cache can sit on.
const (
	KindMemory = "memory"
	KindRedis  = "redis"
)

// keyPrefix keeps Micboard's keys apart from anything else in a shared Redis.
const keyPrefix = "micboard:"

// Cache is the process-wide cache. It is safe for concurrent use. A cache
// whose store stops answering (Redis down) turns itself off and on again
// (health.go): callers then read from the source and never fail for it.
type Cache struct {
	kind   string
	cache  *libcache.Cache[string] // KindRedis: MessagePack bytes
	local  *libcache.Cache[any]    // KindMemory: the values themselves
	redis  *redis.Client           // set for KindRedis
	log    *slog.Logger
	health health
	stats  stats
	flight singleflight.Group
	gens   generations // the memory store's tag generations (generation.go)
}

// New returns a Redis-backed cache when redisURL is set (and checks that
// Redis answers), else an in-memory one. log may be nil.
func New(ctx context.Context, redisURL string, log *slog.Logger) (*Cache, error) {
	if redisURL == "" {
		return NewMemory(log), nil
	}
	return NewRedis(ctx, redisURL, log)
}

// NewMemory returns a cache held in this process.
func NewMemory(log *slog.Logger) *Cache {
	// No default expiry (every Set names its TTL); expired entries are swept
	// each minute.
	mem := gocache.New(gocache.NoExpiration, time.Minute)
	return &Cache{
		kind:  KindMemory,
		local: libcache.New[any](gocachestore.NewGoCache(mem)),
		log:   orDiscard(log),
	}
}

// NewRedis returns a cache on the Redis server at redisURL
// (redis://[user:password@]host:port/db).
func NewRedis(ctx context.Context, redisURL string, log *slog.Logger) (*Cache, error) {
	quietRedis(log)
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("parse redis url %s: %w", redactURL(redisURL), err)
	}
	// A cache that waits seconds for a dead server is worse than none: fail
	// fast and let the caller read from the source.
	if opts.DialTimeout == 0 {
		opts.DialTimeout = time.Second
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = 500 * time.Millisecond
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = 500 * time.Millisecond
	}
	client := redis.NewClient(opts)
	pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("connect to redis %s: %w", redactURL(redisURL), err)
	}
	return &Cache{
		kind:  KindRedis,
		cache: libcache.New[string](redisstore.NewRedis(client)),
		redis: client,
		log:   orDiscard(log),
	}, nil
}

// Kind says which store is in use: KindMemory or KindRedis.
func (c *Cache) Kind() string { return c.kind }

// Ping reports whether the store answers; the memory store always does.
func (c *Cache) Ping(ctx context.Context) error {
	if c.redis == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := c.redis.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// Close releases the Redis connections (the in-memory sweeper ends with
// the cache itself).
func (c *Cache) Close() error {
	if c.redis != nil {
		if err := c.redis.Close(); err != nil {
			return fmt.Errorf("close redis: %w", err)
		}
	}
	return nil
}

// Delete removes one key; deleting an absent key is not an error.
func (c *Cache) Delete(ctx context.Context, key string) error {
	if !c.usable(ctx) {
		return ErrUnavailable
	}
	if err := c.store().Delete(ctx, keyPrefix+key); err != nil && !isNotFound(err) {
		c.failed(ctx, err)
		return fmt.Errorf("cache delete %s: %w", key, err)
	}
	return nil
}

// InvalidateTags removes every key stored with any of tags. While the store
// is unavailable it returns ErrUnavailable, and the whole cache is emptied
// when the store answers again, so the lost invalidation cannot leave an
// old answer behind.
func (c *Cache) InvalidateTags(ctx context.Context, tags ...string) error {
	if len(tags) == 0 {
		return nil
	}
	if !c.usable(ctx) {
		return ErrUnavailable
	}
	// The generations move first: a read that loaded before this point
	// cannot store its answer after the drop below (generation.go).
	err := c.bump(ctx, tags)
	if err == nil && c.redis != nil {
		err = c.invalidateRedis(ctx, prefixed(tags))
	} else if err == nil {
		err = c.local.Invalidate(ctx, libstore.WithInvalidateTags(prefixed(tags)))
	}
	if err != nil {
		c.failed(ctx, err)
		return fmt.Errorf("cache invalidate %v: %w", tags, err)
	}
	return nil
}

// invalidateRedis drops the keys of tags the way gocache's Redis store
// does (its tag sets, same names), but reports errors, which that store
// drops: an invalidation that silently failed would leave old answers.
func (c *Cache) invalidateRedis(ctx context.Context, tags []string) error {
	for _, tag := range tags {
		tagKey := fmt.Sprintf(redisstore.RedisTagPattern, tag)
		keys, err := c.redis.SMembers(ctx, tagKey).Result()
		if err != nil {
			return err
		}
		if err := c.redis.Del(ctx, append(keys, tagKey)...).Err(); err != nil {
			return err
		}
	}
	return nil
}

// store is the gocache in use, for what does not depend on the value type.
func (c *Cache) store() interface {
	Delete(ctx context.Context, key any) error
} {
	if c.local != nil {
		return c.local
	}
	return c.cache
}

// getValue returns the value cached under key: a deep copy from memory,
// or decoded from Redis.
func getValue[T any](ctx context.Context, c *Cache, key string) (T, error) {
	var v T
	if c.local == nil {
		raw, err := c.get(ctx, key)
		if err != nil {
			return v, err
		}
		if err := msgpack.Unmarshal([]byte(raw), &v); err != nil {
			return v, fmt.Errorf("cache decode %s: %w", key, err)
		}
		return v, nil
	}
	got, err := c.local.Get(ctx, keyPrefix+key)
	if isNotFound(err) {
		return v, ErrMiss
	}
	if err != nil {
		return v, fmt.Errorf("cache get %s: %w", key, err)
	}
	held, ok := got.(T)
	if !ok {
		return v, ErrMiss // another type under this key: load it again
	}
	return clone(held), nil
}

// setValue caches v under key: a deep copy in memory (the caller keeps
// its own), MessagePack in Redis.
func setValue[T any](ctx context.Context, c *Cache, key string, v T, ttl time.Duration, tags []string) error {
	if c.local == nil {
		b, err := msgpack.Marshal(v)
		if err != nil {
			return fmt.Errorf("cache encode %s: %w", key, err)
		}
		return c.set(ctx, key, string(b), ttl, tags)
	}
	opts := []libstore.Option{libstore.WithExpiration(ttl)}
	if len(tags) > 0 {
		opts = append(opts, libstore.WithTags(prefixed(tags)))
	}
	if err := c.local.Set(ctx, keyPrefix+key, clone(v), opts...); err != nil {
		return fmt.Errorf("cache set %s: %w", key, err)
	}
	return nil
}

func (c *Cache) get(ctx context.Context, key string) (string, error) {
	if !c.usable(ctx) {
		return "", ErrUnavailable
	}
	v, err := c.cache.Get(ctx, keyPrefix+key)
	if isNotFound(err) {
		return "", ErrMiss
	}
	if err != nil {
		c.failed(ctx, err)
		return "", fmt.Errorf("cache get %s: %w", key, err)
	}
	return v, nil
}

func (c *Cache) set(ctx context.Context, key, value string, ttl time.Duration, tags []string) error {
	if !c.usable(ctx) {
		return ErrUnavailable
	}
	opts := []libstore.Option{libstore.WithExpiration(ttl)}
	if len(tags) > 0 {
		opts = append(opts, libstore.WithTags(prefixed(tags)))
	}
	if err := c.cache.Set(ctx, keyPrefix+key, value, opts...); err != nil {
		c.failed(ctx, err)
		return fmt.Errorf("cache set %s: %w", key, err)
	}
	return nil
}

var redisLogOnce sync.Once

// quietRedis routes go-redis's own log lines (it prints pool dial failures
// to stderr) into slog at debug level: the errors that matter already come
// back to us as values.
func quietRedis(log *slog.Logger) {
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{orDiscard(log)}) })
}

type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}

func isNotFound(err error) bool {
	return err != nil && errors.Is(err, libstore.NotFound{})
}

func prefixed(tags []string) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = keyPrefix + t
	}
	return out
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
