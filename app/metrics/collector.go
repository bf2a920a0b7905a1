// Package metrics times Micboard's service calls and serves what it
// measures: a table of recent calls per method for the admin console, and
// GET /metrics in the Prometheus format (HTTP requests, service calls,
// cache hits, device connections, live streams, board channels).
package metrics

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Window is how many recent calls of each method the collector keeps.
const Window = 100

// SlowCall is how long a service call may take before it is logged at WARN.
const SlowCall = time.Second

// Call is one timed service call.
type Call struct {
	Method   string
	Start    time.Time
	Duration time.Duration
	Err      string // "" on success
}

// MethodStats summarises the recent calls of one method.
type MethodStats struct {
	Method      string
	Total       uint64 // calls since start
	Count       int    // calls in the window the figures below come from
	Avg         time.Duration
	Min         time.Duration
	Max         time.Duration
	P95         time.Duration
	SuccessRate float64 // 0 to 1
}

// Collector records service calls (it is a service.Observer) and HTTP
// requests, and holds the Prometheus registry. It is safe for concurrent
// use.
type Collector struct {
	log  *slog.Logger
	slow time.Duration

	mu      sync.Mutex
	methods map[string]*ring

	reg          *prometheus.Registry
	calls        *prometheus.CounterVec
	callDuration *prometheus.HistogramVec
	requests     *prometheus.CounterVec
	reqDuration  *prometheus.HistogramVec
}

// ring is the last Window calls of one method.
type ring struct {
	calls [Window]Call
	next  int
	full  bool
	total uint64
}

// New returns a collector that logs slow calls to log (nil: discard).
func New(log *slog.Logger) *Collector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Collector{log: log, slow: SlowCall, methods: map[string]*ring{}, reg: prometheus.NewRegistry()}
	c.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "micboard_service_calls_total", Help: "Service calls by method and result (ok or error).",
	}, []string{"method", "result"})
	c.callDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "micboard_service_call_duration_seconds", Help: "How long service calls take, by method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"method"})
	c.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "micboard_http_requests_total", Help: "HTTP requests answered, by route, method and status.",
	}, []string{"route", "method", "status"})
	c.reqDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "micboard_http_request_duration_seconds", Help: "How long HTTP requests take to answer, by route (event streams excluded).",
		Buckets: prometheus.DefBuckets,
	}, []string{"route"})
	c.reg.MustRegister(c.calls, c.callDuration, c.requests, c.reqDuration,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return c
}

// ObserveCall records one service call; err points at the error the call
// returned. Timed services call it from a defer.
func (c *Collector) ObserveCall(ctx context.Context, method string, start time.Time, err *error) {
	took := time.Since(start)
	call := Call{Method: method, Start: start, Duration: took}
	result := "ok"
	if err != nil && *err != nil {
		call.Err = (*err).Error()
		result = "error"
	}
	c.mu.Lock()
	r := c.methods[method]
	if r == nil {
		r = &ring{}
		c.methods[method] = r
	}
	r.calls[r.next] = call
	r.next = (r.next + 1) % Window
	r.full = r.full || r.next == 0
	r.total++
	c.mu.Unlock()

	c.calls.WithLabelValues(method, result).Inc()
	c.callDuration.WithLabelValues(method).Observe(took.Seconds())
	if took > c.slow {
		c.log.WarnContext(ctx, "slow service call", "method", method, "duration", took, "threshold", c.slow, "ok", call.Err == "")
	}
}

// ObserveRequest records one answered HTTP request.
func (c *Collector) ObserveRequest(route, method string, status int, took time.Duration, stream bool) {
	c.requests.WithLabelValues(route, method, statusLabel(status)).Inc()
	if !stream {
		c.reqDuration.WithLabelValues(route).Observe(took.Seconds())
	}
}

func (r *ring) recent() []Call {
	if r.full {
		return append(append([]Call(nil), r.calls[r.next:]...), r.calls[:r.next]...)
	}
	return append([]Call(nil), r.calls[:r.next]...)
}

// Stats summarises every method's recent calls, slowest average first.
func (c *Collector) Stats() []MethodStats {
	c.mu.Lock()
	out := make([]MethodStats, 0, len(c.methods))
	for name, r := range c.methods {
		out = append(out, summarise(name, r.total, r.recent()))
	}
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Avg != out[j].Avg {
			return out[i].Avg > out[j].Avg
		}
		return out[i].Method < out[j].Method
	})
	return out
}

func summarise(method string, total uint64, calls []Call) MethodStats {
	s := MethodStats{Method: method, Total: total, Count: len(calls)}
	if len(calls) == 0 {
		return s
	}
	durs := make([]time.Duration, len(calls))
	var sum time.Duration
	ok := 0
	for i, c := range calls {
		durs[i] = c.Duration
		sum += c.Duration
		if c.Err == "" {
			ok++
		}
	}
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	s.Avg = sum / time.Duration(len(calls))
	s.Min, s.Max = durs[0], durs[len(durs)-1]
	s.P95 = durs[percentileIndex(len(durs), 0.95)]
	s.SuccessRate = float64(ok) / float64(len(calls))
	return s
}

// percentileIndex is the nearest-rank index of percentile p in n sorted
// values.
func percentileIndex(n int, p float64) int {
	i := int(float64(n)*p+0.999999) - 1
	return min(max(i, 0), n-1)
}

// Slowest returns the n slowest calls still in the windows, slowest first.
func (c *Collector) Slowest(n int) []Call {
	c.mu.Lock()
	var all []Call
	for _, r := range c.methods {
		all = append(all, r.recent()...)
	}
	c.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Duration > all[j].Duration })
	if len(all) > n {
		all = all[:n]
	}
	return all
}
