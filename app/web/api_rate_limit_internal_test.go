package web

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"micboard/app/cache"
	"micboard/app/cache/redistest"
	"micboard/app/model"
)

// callFrom sends one request from the client address addr, with a Bearer
// token when token is not "".
func callFrom(t *testing.T, h http.Handler, addr, token, method, path, body string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if body != "" {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.RemoteAddr = addr + ":40000"
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result(), rec.Body.String()
}

func wantRateLimited(t *testing.T, what string, res *http.Response, body string) {
	t.Helper()
	wantAPIError(t, what, res, body, http.StatusTooManyRequests, "rate_limited")
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Errorf("%s: Retry-After %q, want 1 to 60 seconds", what, res.Header.Get("Retry-After"))
	}
}

func TestAPIRateLimitsPerTokenAndAddress(t *testing.T) {
	r := newAuthRig(t, map[string]string{"MICBOARD_API_RATE_READ": "3/1m", "MICBOARD_API_RATE_WRITE": "2/1m"})
	h := r.s.Handler()
	_, op := r.apiToken("Show control", model.RoleOperator)
	_, wall := r.apiToken("LED wall", model.RoleViewer)
	const addr = "198.51.100.7"

	for i := range 3 {
		if res, body := callFrom(t, h, addr, op, http.MethodGet, "/api/v1/receivers", ""); res.StatusCode != http.StatusOK || res.Header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) {
			t.Fatalf("read %d: %d %q %s", i+1, res.StatusCode, res.Header.Get("X-RateLimit-Remaining"), body)
		}
	}
	res, body := callFrom(t, h, addr, op, http.MethodGet, "/api/v1/receivers", "")
	wantRateLimited(t, "fourth read", res, body)

	// Writes have a budget of their own, untouched by the reads.
	for i := range 2 {
		if res, body := callFrom(t, h, addr, op, http.MethodPost, "/api/v1/performers", fmt.Sprintf(`{"name":"P%d"}`, i)); res.StatusCode != http.StatusCreated {
			t.Fatalf("write %d after the reads ran out: %d %s", i+1, res.StatusCode, body)
		}
	}
	res, body = callFrom(t, h, addr, op, http.MethodPost, "/api/v1/performers", `{"name":"P9"}`)
	wantRateLimited(t, "third write", res, body)
	if n, err := r.st.DB().NewSelect().Table("performers").Count(t.Context()); err != nil || n != 2 {
		t.Fatalf("%d performers stored (%v), want the 2 let through", n, err)
	}

	// Another token from the same address, and the address without a
	// token, each have their own budget.
	if res, body := callFrom(t, h, addr, wall, http.MethodGet, "/api/v1/receivers", ""); res.StatusCode != http.StatusOK {
		t.Fatalf("another token: %d %s", res.StatusCode, body)
	}
	for i := range 3 {
		if res, _ := callFrom(t, h, addr, "", http.MethodGet, "/api/v1/openapi.json", ""); res.StatusCode != http.StatusOK {
			t.Fatalf("anonymous read %d: %d", i+1, res.StatusCode)
		}
	}
	res, body = callFrom(t, h, addr, "", http.MethodGet, "/api/v1/openapi.json", "")
	wantRateLimited(t, "anonymous fourth read", res, body)
	if res, _ := callFrom(t, h, "198.51.100.8", "", http.MethodGet, "/api/v1/openapi.json", ""); res.StatusCode != http.StatusOK {
		t.Fatalf("another address: %d", res.StatusCode)
	}
	// Pages are not the API's budget.
	if res, _ := callFrom(t, h, addr, "", http.MethodGet, "/healthz", ""); res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz after the API budget ran out: %d", res.StatusCode)
	}
}

// Two instances on one Redis share one budget: calls spread over both are
// counted together.
func TestAPIRateLimitSharedThroughRedis(t *testing.T) {
	url := redistest.SharedURL(t)
	r := newAuthRig(t, map[string]string{"MICBOARD_API_RATE_READ": "4/1m", "MICBOARD_API_RATE_WRITE": "2/1m"})
	var handlers []http.Handler
	for range 2 {
		c, err := cache.NewRedis(t.Context(), url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		s, err := New(Deps{Config: r.s.cfg, DB: r.s.db, Store: r.st, Cache: c})
		if err != nil {
			t.Fatal(err)
		}
		handlers = append(handlers, s.Handler())
	}
	// A fresh address each run: the shared Redis outlives the test.
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	addr := fmt.Sprintf("10.%d.%d.%d", b[0], b[1], b[2])
	for i := range 4 {
		if res, body := callFrom(t, handlers[i%2], addr, "", http.MethodGet, "/api/v1/openapi.json", ""); res.StatusCode != http.StatusOK {
			t.Fatalf("read %d on instance %d: %d %s", i+1, i%2, res.StatusCode, body)
		}
	}
	for i, h := range handlers {
		res, body := callFrom(t, h, addr, "", http.MethodGet, "/api/v1/openapi.json", "")
		wantRateLimited(t, fmt.Sprintf("fifth read on instance %d", i), res, body)
	}
	// The write budget is apart from the reads', and shared too.
	for i := range 2 {
		if res, _ := callFrom(t, handlers[i%2], addr, "", http.MethodPost, "/api/v1/performers", `{}`); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("write %d: %d, want 401 (counted, then refused for want of a login)", i+1, res.StatusCode)
		}
	}
	res, body := callFrom(t, handlers[1], addr, "", http.MethodPost, "/api/v1/performers", `{}`)
	wantRateLimited(t, "third write", res, body)
}
