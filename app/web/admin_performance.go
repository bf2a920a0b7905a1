package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// slowestShown is how many of the slowest recent calls the page lists.
const slowestShown = 20

// adminPerformancePage is the data of /admin/performance.
type adminPerformancePage struct {
	Nav     []adminNavItem
	Methods []perfMethodRow
	Slowest []perfCallRow
	Cache   []perfCacheRow
	CacheUp bool
	Kind    string // memory or redis
}

type perfMethodRow struct {
	Method, Avg, Min, Max, P95, Success string
	Count                               int
	Total                               uint64
	Slow                                bool // p95 at or over the WARN threshold
}

type perfCallRow struct {
	Method, Took, At, Err string
}

type perfCacheRow struct {
	Group, HitRate string
	Hits, Misses   uint64
}

// adminPerformance shows how the services and the cache perform: per
// method over its last 100 calls, the slowest recent calls, and the hit
// rate of each cached query group.
func (s *Server) adminPerformance(c echo.Context) error {
	p := adminPerformancePage{Nav: adminNav(c, RouteAdminPerformance), CacheUp: s.cache.Available(), Kind: s.cache.Kind()}
	for _, m := range s.metrics.Stats() {
		p.Methods = append(p.Methods, perfMethodRow{
			Method: m.Method, Count: m.Count, Total: m.Total,
			Avg: fmtDur(m.Avg), Min: fmtDur(m.Min), Max: fmtDur(m.Max), P95: fmtDur(m.P95),
			Success: fmt.Sprintf("%.0f%%", 100*m.SuccessRate), Slow: m.P95 >= time.Second,
		})
	}
	for _, call := range s.metrics.Slowest(slowestShown) {
		p.Slowest = append(p.Slowest, perfCallRow{
			Method: call.Method, Took: fmtDur(call.Duration), At: call.Start.Local().Format("15:04:05"), Err: call.Err,
		})
	}
	for _, g := range s.cache.Stats() {
		p.Cache = append(p.Cache, perfCacheRow{
			Group: g.Group, Hits: g.Hits, Misses: g.Misses, HitRate: fmt.Sprintf("%.0f%%", 100*g.HitRate()),
		})
	}
	noStore(c)
	return s.page(c, http.StatusOK, PageAdminPerformance, View{Title: "Performance", Data: p})
}

// fmtDur shows a duration to three significant figures in the unit that
// suits it: 850µs, 12.4ms, 1.52s.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}
