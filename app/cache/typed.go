package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/singleflight"
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
	sf    singleflight.Group
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

// Load is a read-through: the cached value when there is one, else load's
// result, which is then cached. Concurrent loads of one key share a single
// call. A broken cache is logged and bypassed; the request still gets its
// answer from load.
func (t *Typed[T]) Load(ctx context.Context, key string, load func(context.Context) (T, error), tags ...string) (T, error) {
	v, err := t.Get(ctx, key)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, ErrMiss) {
		t.c.log.WarnContext(ctx, "cache read failed; loading from source", "key", t.key(key), "err", err)
	}
	res, err, _ := t.sf.Do(key, func() (any, error) {
		v, err := load(ctx)
		if err != nil {
			return v, err
		}
		if err := t.Set(ctx, key, v, tags...); err != nil {
			t.c.log.WarnContext(ctx, "cache write failed", "key", t.key(key), "err", err)
		}
		return v, nil
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return res.(T), nil
}
