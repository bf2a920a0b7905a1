package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"micboard/app/cache"
)

// observe records a call of method that took d and returned err.
func observe(c *Collector, method string, d time.Duration, err error) {
	c.ObserveCall(context.Background(), method, time.Now().Add(-d), &err)
}

func TestStatsOverTheLastHundredCalls(t *testing.T) {
	c := New(nil)
	// 50 old calls of 1 s that must fall out of the window...
	for range 50 {
		observe(c, "Devices.SyncStatus", time.Second, nil)
	}
	// ...then 1..100 ms, every tenth failing.
	for i := 1; i <= 100; i++ {
		var err error
		if i%10 == 0 {
			err = errors.New("receiver unreachable")
		}
		observe(c, "Devices.SyncStatus", time.Duration(i)*time.Millisecond, err)
	}
	observe(c, "Locations.Create", 2*time.Millisecond, nil)

	st := c.Stats()
	if len(st) != 2 || st[0].Method != "Devices.SyncStatus" {
		t.Fatalf("stats = %+v", st)
	}
	s := st[0]
	near := func(got, want time.Duration) bool { return got >= want && got < want+5*time.Millisecond }
	if s.Total != 150 || s.Count != 100 {
		t.Fatalf("total %d, window %d", s.Total, s.Count)
	}
	if !near(s.Min, time.Millisecond) || !near(s.Max, 100*time.Millisecond) || !near(s.Avg, 50500*time.Microsecond) || !near(s.P95, 95*time.Millisecond) {
		t.Fatalf("min %v max %v avg %v p95 %v", s.Min, s.Max, s.Avg, s.P95)
	}
	if s.SuccessRate != 0.9 {
		t.Fatalf("success rate = %v", s.SuccessRate)
	}
	slowest := c.Slowest(3)
	if len(slowest) != 3 || !near(slowest[0].Duration, 100*time.Millisecond) || slowest[0].Err == "" {
		t.Fatalf("slowest = %+v", slowest)
	}
}

func TestSlowCallsWarn(t *testing.T) {
	var buf bytes.Buffer
	c := New(slog.New(slog.NewTextHandler(&buf, nil)))
	observe(c, "Assignments.Create", 10*time.Millisecond, nil)
	if buf.Len() != 0 {
		t.Fatalf("a fast call was logged: %s", buf.String())
	}
	observe(c, "Assignments.Create", SlowCall+time.Millisecond, nil)
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "Assignments.Create") {
		t.Fatalf("no WARN for a slow call: %q", buf.String())
	}
}

func TestPrometheusFamilies(t *testing.T) {
	c := New(nil)
	mem := cache.NewMemory(nil)
	load := func(context.Context) (int, error) { return 1, nil }
	for range 3 {
		cache.Load(context.Background(), mem, "receivers:all", cache.Short, load)
	}
	if err := c.Watch(Sources{
		Cache:       mem,
		Streams:     func() (int, int, uint64) { return 7, 2, 40 },
		Channels:    func() map[string]int { return map[string]int{"good": 10, "critical": 1} },
		Connections: func(context.Context) (map[string]int, error) { return map[string]int{"connected": 3, "error": 1}, nil },
		Leases:      func() (int, bool) { return 12, true },
		Relay:       func() (int64, int64, int64) { return 500, 480, 9 },
	}); err != nil {
		t.Fatal(err)
	}
	observe(c, "Locations.Create", time.Millisecond, nil)
	observe(c, "Locations.Create", time.Millisecond, errors.New("duplicate"))
	c.ObserveRequest("home", "GET", 200, time.Millisecond, false)

	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`micboard_http_requests_total{method="GET",route="home",status="200"} 1`,
		`micboard_service_calls_total{method="Locations.Create",result="error"} 1`,
		`micboard_service_calls_total{method="Locations.Create",result="ok"} 1`,
		`micboard_service_call_duration_seconds_count{method="Locations.Create"} 2`,
		`micboard_cache_hits_total{group="receivers"} 2`,
		`micboard_cache_misses_total{group="receivers"} 1`,
		`micboard_cache_available 1`,
		`micboard_device_connections{state="connected"} 3`,
		`micboard_sse_clients 7`,
		`micboard_board_channels{status="critical"} 1`,
		`micboard_receiver_leases_held 12`,
		`micboard_receiver_leases_current 1`,
		`micboard_cluster_updates_sent_total 500`,
		`micboard_cluster_updates_received_total 480`,
		`micboard_cluster_notifications_sent_total 9`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("missing %s", want)
		}
	}
	if t.Failed() {
		fmt.Println(string(body))
	}
}
