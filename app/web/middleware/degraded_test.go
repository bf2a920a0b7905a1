package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"

	"micboard/app/web/middleware"
)

func TestDegraded(t *testing.T) {
	var unhealthy atomic.Int64
	var calls atomic.Int64
	e := echo.New()
	e.Use(middleware.Degraded("/api/", func(context.Context) int {
		calls.Add(1)
		return int(unhealthy.Load())
	}))
	ok := func(c echo.Context) error { return c.String(http.StatusOK, "ok") }
	e.GET("/api/v1/board", ok)
	e.GET("/", ok)
	get := func(path string) string {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Header().Get(middleware.HeaderDegraded)
	}
	if got := get("/api/v1/board"); got != "" {
		t.Fatalf("all healthy: header %q", got)
	}
	unhealthy.Store(3)
	if got := get("/api/v1/board"); got != "3" {
		t.Fatalf("three down: header %q", got)
	}
	before := calls.Load()
	if got := get("/"); got != "" || calls.Load() != before {
		t.Fatalf("a page got %q (and the count was asked %d times)", got, calls.Load()-before)
	}
}
