package middleware_test

import (
	"bufio"
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/web/middleware"
)

func millis(t *testing.T, h string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(h, "ms"), 64)
	if err != nil || !strings.HasSuffix(h, "ms") {
		t.Fatalf("%s = %q, want a number of ms", middleware.HeaderResponseTime, h)
	}
	return v
}

func TestResponseTime(t *testing.T) {
	tests := []struct {
		name     string
		handler  echo.HandlerFunc
		minMS    float64
		wantWarn bool
	}{
		{"fast", func(c echo.Context) error { return c.String(http.StatusOK, "ok") }, 0, false},
		{"slow", func(c echo.Context) error {
			time.Sleep(60 * time.Millisecond)
			return c.String(http.StatusOK, "ok")
		}, 60, true},
		{"slow error", func(c echo.Context) error {
			time.Sleep(60 * time.Millisecond)
			return echo.ErrNotFound
		}, 60, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := echo.New()
			e.Use(middleware.RequestID(), middleware.ResponseTime(50*time.Millisecond, newLogger(&buf, slog.LevelInfo)))
			e.GET("/", tt.handler)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			if ms := millis(t, rec.Header().Get(middleware.HeaderResponseTime)); ms < tt.minMS {
				t.Fatalf("response time %vms, want at least %v", ms, tt.minMS)
			}
			lines := logLines(t, &buf)
			if got := len(lines) == 1; got != tt.wantWarn {
				t.Fatalf("warned = %v, want %v: %s", got, tt.wantWarn, buf.String())
			}
			if tt.wantWarn && (lines[0]["level"] != "WARN" || lines[0]["path"] != "/" || lines[0]["request_id"] == nil) {
				t.Fatalf("warn line = %v", lines[0])
			}
		})
	}
}

// A stream has its header in the status line it flushes first, and is not
// "slow" for lasting long.
func TestResponseTimeOnStreams(t *testing.T) {
	var buf bytes.Buffer
	e := echo.New()
	e.Use(middleware.ResponseTime(20*time.Millisecond, newLogger(&buf, slog.LevelInfo)))
	e.GET("/events", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, "text/event-stream")
		c.Response().WriteHeader(http.StatusOK)
		c.Response().Flush()
		for range 3 {
			time.Sleep(20 * time.Millisecond)
			c.Response().Write([]byte("data: tick\n\n"))
			c.Response().Flush()
		}
		return nil
	})
	srv := httptest.NewServer(e)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ms := millis(t, res.Header.Get(middleware.HeaderResponseTime)); ms > 20 {
		t.Fatalf("stream header says %vms: measured past the first byte", ms)
	}
	n := 0
	for sc := bufio.NewScanner(res.Body); sc.Scan(); {
		if sc.Text() == "data: tick" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d events, want 3", n)
	}
	if buf.Len() != 0 {
		t.Fatalf("a long stream was logged as slow: %s", buf.String())
	}
}

func TestResponseTimeOff(t *testing.T) {
	var buf bytes.Buffer
	e := echo.New()
	e.Use(middleware.ResponseTime(0, newLogger(&buf, slog.LevelInfo)))
	e.GET("/", func(c echo.Context) error {
		time.Sleep(5 * time.Millisecond)
		return c.NoContent(http.StatusNoContent)
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Header().Get(middleware.HeaderResponseTime) == "" || buf.Len() != 0 {
		t.Fatalf("header %q, log %q", rec.Header().Get(middleware.HeaderResponseTime), buf.String())
	}
}
