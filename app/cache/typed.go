package cache

import (
	"context"
	"time"
)

// Typed caches values of one type under one key group, e.g.
//
//	receivers := cache.NewTyped[model.Receiver](c, "receiver", time.Minute)
//	r, err := receivers.Load(ctx, id, func(ctx context.Context) (model.Receiver, error) {
//		return st.Receivers.ByID(ctx, id)
//	})
//
// Values travel as MessagePack in Redis, so only exported fields survive a
// round trip; the memory store deep-copies exported fields the same way.
type Typed[T any] struct {
	c     *Cache
	group string
	ttl   time.Duration
}

// NewTyped returns a typed view of c whose keys live under group and expire
// after ttl (0: never).
func NewTyped[T any](c *Cache, group string, ttl time.Duration) *Typed[T] {
	return &Typed[T]{c: c, group: group, ttl: ttl}
}

func (t *Typed[T]) key(k string) string { return t.group + ":" + k }

// Get returns the cached value, or ErrMiss.
func (t *Typed[T]) Get(ctx context.Context, key string) (T, error) {
	return getValue[T](ctx, t.c, t.key(key))
}

// Set stores v under key; tags let InvalidateTags drop it with others.
func (t *Typed[T]) Set(ctx context.Context, key string, v T, tags ...string) error {
	return setValue(ctx, t.c, t.key(key), v, t.ttl, tags)
}

// Delete drops key.
func (t *Typed[T]) Delete(ctx context.Context, key string) error {
	return t.c.Delete(ctx, t.key(key))
}

// Load is a read-through of one key of the group (see the package's Load).
func (t *Typed[T]) Load(ctx context.Context, key string, load func(context.Context) (T, error), tags ...string) (T, error) {
	return Load(ctx, t.c, t.key(key), t.ttl, load, tags...)
}
