package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/cache"
)

// Cache tags: one per table a cached answer reads. A write to a table drops
// every answer tagged with it, so the cache never needs to know which rows
// an answer holds.
const (
	tagReceivers     = "receivers"
	tagChannels      = "channels"
	tagTransmitters  = "transmitters"
	tagLocations     = "locations"
	tagConnections   = "connections"
	tagManufacturers = "manufacturers"
)

// How long each kind of answer may live. Writes through any Store over the
// same cache drop them at once; the TTL bounds only what a process without
// the shared cache (a command-line tool beside an in-memory cache) leaves.
const (
	ttlReceivers   = cache.Short
	ttlConnections = cache.Short
	ttlLocations   = cache.Medium
)

// readCache is how a Store uses the cache: read-heavy list queries go
// through it, and every write drops the answers of the tables it changed
// before it returns. Inside a transaction nothing is read from the cache
// (the transaction may see its own writes) and the drops wait for the
// commit. A read that loaded its rows before the commit and stores them
// after the drop is refused by the cache's tag generations (app/cache
// generation.go), so it cannot undo the write until the TTL.
type readCache struct {
	c     *cache.Cache // nil: nothing cached, nothing to drop
	read  bool         // list queries read through the cache
	after *pendingTags // inside a transaction: tags to drop after commit
}

type pendingTags struct {
	mu   sync.Mutex
	tags map[string]bool
}

// NewCached returns a Store over the pool whose list queries read through
// c. Writes through it, its Fresh view and its transactions all drop what
// they change.
func NewCached(db *bun.DB, c *cache.Cache) *Store {
	return newStore(db, &readCache{c: c, read: c != nil})
}

// Fresh returns a view of the store whose queries always read the
// database (writes still drop cached answers): for readers that must see
// other processes' writes at once, such as the monitor's receiver poll.
func (s *Store) Fresh() *Store {
	if s.rc == nil || !s.rc.read {
		return s
	}
	return newStore(s.db, &readCache{c: s.rc.c, after: s.rc.after})
}

// ReadCache is the cache this store's list queries read through, or nil (a
// store that caches nothing, a Fresh view, a transaction). Whoever caches
// an answer built from its queries (the API's encoded pages) does it there,
// under the queries' tags (ReceiverQuery.CacheTags), so the writes that
// drop the rows drop the answer too.
func (s *Store) ReadCache() *cache.Cache {
	if s.rc == nil || !s.rc.read {
		return nil
	}
	return s.rc.c
}

// changed drops the cached answers that read tags; in a transaction, once
// it commits. A cache that fails is turned off by the cache itself and
// emptied when it comes back, so the write never fails for it.
func (rc *readCache) changed(ctx context.Context, tags ...string) {
	if rc == nil || rc.c == nil {
		return
	}
	if rc.after != nil {
		rc.after.mu.Lock()
		if rc.after.tags == nil {
			rc.after.tags = map[string]bool{}
		}
		for _, t := range tags {
			rc.after.tags[t] = true
		}
		rc.after.mu.Unlock()
		return
	}
	// A caller that gives up right after its write must not leave the old
	// answers behind: the drop outlives the request.
	_ = rc.c.InvalidateTags(context.WithoutCancel(ctx), tags...)
}

// inTx returns the readCache of a transaction over rc's cache.
func (rc *readCache) inTx() *readCache {
	if rc == nil {
		return nil
	}
	return &readCache{c: rc.c, after: &pendingTags{}}
}

// committed drops what a committed transaction changed.
func (rc *readCache) committed(ctx context.Context) {
	if rc == nil || rc.c == nil || rc.after == nil {
		return
	}
	rc.after.mu.Lock()
	tags := make([]string, 0, len(rc.after.tags))
	for t := range rc.after.tags {
		tags = append(tags, t)
	}
	rc.after.mu.Unlock()
	if len(tags) > 0 {
		_ = rc.c.InvalidateTags(context.WithoutCancel(ctx), tags...)
	}
}

// cached runs load through the cache when this store reads through it.
// The key is the query's SQL (plus the relations loaded after it), so two
// chains that ask the same thing share one answer.
func cached[T any](ctx context.Context, rc *readCache, group string, q *bun.SelectQuery, extra []string, ttl time.Duration, tags []string, load func(context.Context) (T, error)) (T, error) {
	if rc == nil || rc.c == nil || !rc.read {
		return load(ctx)
	}
	sum := sha256.Sum256([]byte(q.String() + "\x00" + strings.Join(extra, ",")))
	return cache.Load(ctx, rc.c, group+":"+hex.EncodeToString(sum[:16]), ttl, load, tags...)
}

// tagSet collects tags without repeats, in a stable order.
type tagSet []string

func (s *tagSet) add(tags ...string) {
	for _, t := range tags {
		found := false
		for _, have := range *s {
			if have == t {
				found = true
				break
			}
		}
		if !found {
			*s = append(*s, t)
		}
	}
}
