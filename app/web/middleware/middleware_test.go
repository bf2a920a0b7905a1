package middleware_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"micboard/app/web/middleware"
)

// logLines decodes the JSON log lines written to buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func newLogger(buf *bytes.Buffer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: level}))
}

func TestRequestLog(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		handler   echo.HandlerFunc
		level     slog.Level
		wantLines int
		wantLevel string
		wantCode  float64
	}{
		{"ok", "/", func(c echo.Context) error { return c.String(200, "hi") }, slog.LevelInfo, 1, "INFO", 200},
		{"not found", "/x", func(c echo.Context) error { return echo.ErrNotFound }, slog.LevelInfo, 1, "INFO", 404},
		{"server error", "/", func(c echo.Context) error { return errors.New("boom") }, slog.LevelInfo, 1, "ERROR", 500},
		{"health quiet at info", "/healthz", func(c echo.Context) error { return c.String(200, "ok") }, slog.LevelInfo, 0, "", 0},
		{"health shown at debug", "/healthz", func(c echo.Context) error { return c.String(200, "ok") }, slog.LevelDebug, 1, "DEBUG", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := echo.New()
			e.Use(middleware.RequestLog(newLogger(&buf, tt.level)))
			e.GET(tt.path, tt.handler)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			lines := logLines(t, &buf)
			if len(lines) != tt.wantLines {
				t.Fatalf("%d log lines, want %d: %s", len(lines), tt.wantLines, buf.String())
			}
			if tt.wantLines == 0 {
				return
			}
			l := lines[0]
			if l["level"] != tt.wantLevel || l["status"] != tt.wantCode || l["path"] != tt.path || l["method"] != "GET" {
				t.Fatalf("log line = %v", l)
			}
			if _, ok := l["duration"]; !ok {
				t.Fatalf("no duration in %v", l)
			}
			if int(tt.wantCode) != rec.Code {
				t.Fatalf("client saw %d, log says %v", rec.Code, tt.wantCode)
			}
		})
	}
}

func TestRecover(t *testing.T) {
	var buf bytes.Buffer
	e := echo.New()
	var handled error
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		handled = err
		c.String(http.StatusInternalServerError, "sorry")
	}
	e.Use(middleware.Recover(newLogger(&buf, slog.LevelInfo)))
	e.GET("/", func(c echo.Context) error { panic("tx pack exploded") })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))

	if rec.Code != http.StatusInternalServerError || rec.Body.String() != "sorry" {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
	if handled == nil || !strings.Contains(handled.Error(), "tx pack exploded") {
		t.Fatalf("error handler got %v", handled)
	}
	lines := logLines(t, &buf)
	if len(lines) != 1 || lines[0]["level"] != "ERROR" || !strings.Contains(lines[0]["stack"].(string), "goroutine") {
		t.Fatalf("log = %s", buf.String())
	}
}

func TestSecureHeaders(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		e := echo.New()
		e.Use(middleware.SecureHeaders())
		e.GET("/", func(c echo.Context) error { return c.String(200, "ok") })
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if useTLS {
			req.TLS = &tls.ConnectionState{}
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		h := rec.Header()
		if h.Get("Content-Security-Policy") != middleware.ContentSecurityPolicy {
			t.Errorf("CSP = %q", h.Get("Content-Security-Policy"))
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") == "" {
			t.Errorf("headers = %v", h)
		}
		if got := h.Get("Strict-Transport-Security") != ""; got != useTLS {
			t.Errorf("TLS=%v: HSTS sent = %v", useTLS, got)
		}
	}
}
