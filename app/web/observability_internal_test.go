package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"micboard/app/cache"
	"micboard/app/cache/redistest"
	"micboard/app/db/dbtest"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/web/middleware"
)

// Every response carries its request id and response time; API responses
// carry the API version and, while receivers are down, how many.
func TestObservabilityHeaders(t *testing.T) {
	r := newAuthRig(t, nil)
	b := r.browser()
	for _, path := range []string{"/healthz", "/login", "/static/nothing.css", "/api/v1/nothing"} {
		res, _ := b.get(path)
		if res.Header.Get("X-Request-ID") == "" {
			t.Errorf("%s: no X-Request-ID", path)
		}
		if _, err := strconv.ParseFloat(strings.TrimSuffix(res.Header.Get(middleware.HeaderResponseTime), "ms"), 64); err != nil {
			t.Errorf("%s: X-Response-Time = %q", path, res.Header.Get(middleware.HeaderResponseTime))
		}
		api := strings.HasPrefix(path, "/api/")
		if got := res.Header.Get(middleware.HeaderAPIVersion); (got == "1") != api {
			t.Errorf("%s: X-API-Version = %q", path, got)
		}
		if got := res.Header.Get(middleware.HeaderDegraded); got != "" {
			t.Errorf("%s: degraded %q with every receiver well", path, got)
		}
	}
	res, _ := b.do(http.MethodGet, "/healthz", nil, map[string]string{"X-Request-ID": "show-control-42"})
	if res.Header.Get("X-Request-ID") != "show-control-42" {
		t.Errorf("the client's request id was not kept: %q", res.Header.Get("X-Request-ID"))
	}

	// Two receivers on the board, both down: API answers say so.
	ctx := t.Context()
	mf, err := r.st.Manufacturers.ByCode(ctx, model.VendorShure)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		rx := &model.Receiver{ManufacturerID: mf.ID, DeviceType: model.TypeULXD, Host: "10.9.9." + strconv.Itoa(i+1), Port: 2202, Active: true}
		if err := r.st.Receivers.Create(ctx, rx); err != nil {
			t.Fatal(err)
		}
		if err := r.st.Channels.Upsert(ctx, &model.Channel{ReceiverID: rx.ID, Number: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.s.board.Load(ctx, r.st); err != nil {
		t.Fatal(err)
	}
	r.s.counts.mu.Lock()
	r.s.counts.at = time.Time{} // count again now, not a second after the last count
	r.s.counts.mu.Unlock()
	res, _ = b.get("/api/v1/board")
	if got := res.Header.Get(middleware.HeaderDegraded); got != "2" {
		t.Errorf("X-Micboard-Degraded = %q, want 2", got)
	}
	if res, _ := b.get("/login"); res.Header.Get(middleware.HeaderDegraded) != "" {
		t.Error("a page carries the API's degraded header")
	}
}

// /metrics answers only an admin, or anyone when MICBOARD_METRICS_PUBLIC
// is true, with every family the dashboards read.
func TestMetricsEndpoint(t *testing.T) {
	r := newAuthRig(t, nil)
	if res, _ := r.browser().get("/metrics"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous /metrics = %d, want 401", res.StatusCode)
	}
	if res, _ := r.loggedIn(model.RoleOperator).get("/metrics"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an operator's /metrics = %d, want 401", res.StatusCode)
	}
	admin := r.loggedIn(model.RoleAdmin) // logging in is a timed service call
	mf, err := r.st.Manufacturers.ByCode(t.Context(), model.VendorShure)
	if err != nil {
		t.Fatal(err)
	}
	rx := &model.Receiver{ManufacturerID: mf.ID, DeviceType: model.TypeULXD, Host: "10.9.8.1", Port: 2202, Active: true}
	if err := r.st.Receivers.Create(t.Context(), rx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.st.Connections.Ensure(t.Context(), rx.ID, model.ConnError); err != nil {
		t.Fatal(err)
	}
	// Its one channel is on the board, offline: the receiver does not answer.
	if err := r.st.Channels.Upsert(t.Context(), &model.Channel{ReceiverID: rx.ID, Number: 1}); err != nil {
		t.Fatal(err)
	}
	if err := r.s.board.Load(t.Context(), r.st); err != nil {
		t.Fatal(err)
	}
	r.s.counts.mu.Lock()
	r.s.counts.at = time.Time{} // count the board again at the next scrape
	r.s.counts.mu.Unlock()
	cache.Load(t.Context(), r.s.cache, "receivers:probe", cache.Short, func(context.Context) (int, error) { return 1, nil })
	res, body := admin.get("/metrics")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("admin /metrics = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`micboard_http_requests_total{method="POST",route="login.submit",status="303"}`,
		`micboard_http_requests_total{method="GET",route="metrics",status="401"}`,
		`micboard_service_calls_total{method="Users.Authenticate",result="ok"}`,
		`micboard_service_call_duration_seconds_bucket{method="Users.Authenticate"`,
		`micboard_cache_misses_total{group="receivers"} 1`,
		`micboard_cache_hits_total{group="receivers"} 0`,
		`micboard_cache_available 1`,
		`micboard_sse_clients 0`,
		`micboard_tile_renders_total`,
		`micboard_device_connections{state="error"} 1`,
		`micboard_device_connections{state="connected"} 0`,
		`micboard_board_channels{status="RX_OFFLINE"} 1`,
		`micboard_board_channels{status="GOOD"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// A scraper sends an admin API token; the same families answer it.
	_, adminToken := r.apiToken("Prometheus", model.RoleAdmin)
	res, body = bearerCall(t, r.s.Handler(), adminToken, http.MethodGet, "/metrics", "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics with an admin token = %d", res.StatusCode)
	}
	for _, family := range []string{"micboard_http_requests_total", "micboard_http_request_duration_seconds",
		"micboard_service_calls_total", "micboard_service_call_duration_seconds", "micboard_cache_hits_total",
		"micboard_cache_misses_total", "micboard_cache_available", "micboard_device_connections",
		"micboard_sse_clients", "micboard_board_channels"} {
		if !strings.Contains(body, "\n# TYPE "+family+" ") {
			t.Errorf("/metrics with an admin token lacks the family %s", family)
		}
	}
	for _, role := range []model.Role{model.RoleViewer, model.RoleOperator} {
		_, tok := r.apiToken("Scraper "+string(role), role)
		if res, _ := bearerCall(t, r.s.Handler(), tok, http.MethodGet, "/metrics", ""); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("/metrics with a %s token = %d, want 401", role, res.StatusCode)
		}
	}

	pub := newAuthRig(t, map[string]string{"MICBOARD_METRICS_PUBLIC": "true"})
	pub.browser().get("/healthz")
	if res, body := pub.browser().get("/metrics"); res.StatusCode != http.StatusOK || !strings.Contains(body, "micboard_http_requests_total") {
		t.Fatalf("public /metrics = %d", res.StatusCode)
	}
}

// The performance page lists the timed service calls and the cache.
func TestAdminPerformancePage(t *testing.T) {
	r := newAuthRig(t, nil)
	admin := r.loggedIn(model.RoleAdmin)
	cache.Load(t.Context(), r.s.cache, "locations:probe", cache.Short, func(context.Context) (int, error) { return 1, nil })
	res, body := admin.get("/admin/performance")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/admin/performance = %d: %.300s", res.StatusCode, body)
	}
	for _, want := range []string{`data-method="Users.Authenticate"`, `data-cache-group="locations"`, "Slowest recent calls", `href="/admin/performance"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// The cache is optional: a Redis that stops answering does not make the
// server unready.
func TestReadyWithoutTheCache(t *testing.T) {
	srv := redistest.Private(t)
	c, err := cache.NewRedis(t.Context(), srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bdb := dbtest.New(t)
	s, err := New(Deps{Config: configFrom(t, nil), DB: bdb, Cache: c, Board: live.NewBoard(live.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	b := &browser{t: t, h: s.Handler(), cookies: map[string]*http.Cookie{}}
	if res, body := b.get("/readyz"); res.StatusCode != http.StatusOK {
		t.Fatalf("/readyz with Redis down = %d %s", res.StatusCode, body)
	}
}
