package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Typed caches values of one type under one key group, e.g.
//
//	receivers := cache.NewTyped[model.Receiver](c, "receiver", time.Minute)
//	r, err := receivers.Load(ctx, id, func(ctx context.Context) (model.Receiver, error) {
//		return st.Receivers.ByID(ctx, id)
//	})
//
// Values travel as JSON, so only exported fields survive a round trip.
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
	var v T
	raw, err := t.c.get(ctx, t.key(key))
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return v, fmt.Errorf("cache decode %s: %w", t.key(key), err)
	}
	return v, nil
}

// Set stores v under key; tags let InvalidateTags drop it with others.
func (t *Typed[T]) Set(ctx context.Context, key string, v T, tags ...string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("cache encode %s: %w", t.key(key), err)
	}
	return t.c.set(ctx, t.key(key), string(b), t.ttl, tags)
}

// Delete drops key.
func (t *Typed[T]) Delete(ctx context.Context, key string) error {
	return t.c.Delete(ctx, t.key(key))
}

// Load is a read-through of one key of the group (see the package's Load).
func (t *Typed[T]) Load(ctx context.Context, key string, load func(context.Context) (T, error), tags ...string) (T, error) {
	return Load(ctx, t.c, t.key(key), t.ttl, load, tags...)
}
