package middleware_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/web/middleware"
)

func TestMetricsCountsTheStatusTheClientSaw(t *testing.T) {
	type seen struct {
		route, method string
		status        int
		stream        bool
	}
	var got []seen
	e := echo.New()
	e.Use(middleware.Metrics(
		func(c echo.Context) string {
			if c.Path() == "/channels/:id" {
				return "channel"
			}
			return ""
		},
		func(route, method string, status int, _ time.Duration, stream bool) {
			got = append(got, seen{route, method, status, stream})
		}))
	e.GET("/channels/:id", func(c echo.Context) error {
		if c.Param("id") == "9" {
			return errors.New("database down")
		}
		if c.Param("id") == "events" {
			c.Response().Header().Set(echo.HeaderContentType, "text/event-stream")
		}
		return c.String(http.StatusOK, "ok")
	})
	for _, path := range []string{"/channels/1", "/channels/9", "/nowhere", "/channels/events"} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	want := []seen{
		{"channel", "GET", 200, false},
		{"channel", "GET", 500, false},
		{"unmatched", "GET", 404, false},
		{"channel", "GET", 200, true},
	}
	if len(got) != len(want) {
		t.Fatalf("observed %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
