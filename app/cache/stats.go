package cache

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// GroupStats counts the reads of one key group (the key up to its first
// colon: "receivers", "locations").
type GroupStats struct {
	Group  string
	Hits   uint64
	Misses uint64 // not cached, expired, or the cache was unavailable
}

// HitRate is Hits / (Hits + Misses), 0 before any read.
func (g GroupStats) HitRate() float64 {
	if n := g.Hits + g.Misses; n > 0 {
		return float64(g.Hits) / float64(n)
	}
	return 0
}

type counters struct{ hits, misses atomic.Uint64 }

type stats struct {
	groups  sync.Map // group → *counters
	outages atomic.Uint64
}

func (s *stats) group(key string) *counters {
	g, _, _ := strings.Cut(key, ":")
	if c, ok := s.groups.Load(g); ok {
		return c.(*counters)
	}
	c, _ := s.groups.LoadOrStore(g, new(counters))
	return c.(*counters)
}

func (s *stats) hit(key string)  { s.group(key).hits.Add(1) }
func (s *stats) miss(key string) { s.group(key).misses.Add(1) }

// Stats returns the read counts of every key group, by name.
func (c *Cache) Stats() []GroupStats {
	var out []GroupStats
	c.stats.groups.Range(func(k, v any) bool {
		n := v.(*counters)
		out = append(out, GroupStats{Group: k.(string), Hits: n.hits.Load(), Misses: n.misses.Load()})
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out
}

// Outages counts the times the store stopped answering since start.
func (c *Cache) Outages() uint64 { return c.stats.outages.Load() }
