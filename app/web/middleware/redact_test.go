package middleware_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"micboard/app/web/middleware"
)

func TestRedactPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/kiosk/abc123/grid", "/kiosk/REDACTED/grid"},
		{"/kiosk/abc123", "/kiosk/REDACTED"},
		{"/kiosk/abc123/events?since=4", "/kiosk/REDACTED/events?since=4"},
		{"/%6Biosk/abc123", "/%6Biosk/REDACTED"},
		{"/p/perf-tok", "/p/REDACTED"},
		{"/kiosk/", "/kiosk/"},
		{"/kiosk", "/kiosk"},
		{"/board/grid?loc=2", "/board/grid?loc=2"},
		{"/static/kiosk/x.css", "/static/kiosk/x.css"},
	}
	for _, tt := range tests {
		if got, _ := middleware.RedactPath(tt.in); got != tt.want {
			t.Errorf("RedactPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The token of a wall display is its only credential: no log line, error
// ones included, may carry it.
func TestLogsNeverCarryKioskTokens(t *testing.T) {
	const token = "s3cretTOKENs3cretTOKEN"
	var buf bytes.Buffer
	log := newLogger(&buf, slog.LevelDebug)
	e := echo.New()
	e.Use(middleware.RequestLog(log), middleware.Recover(log))
	e.GET("/kiosk/:token", func(c echo.Context) error { return c.String(200, "ok") })
	e.GET("/kiosk/:token/grid", func(c echo.Context) error {
		return errors.New("render grid for " + c.Param("token") + ": boom")
	})
	e.GET("/kiosk/:token/events", func(c echo.Context) error { panic("stream " + c.Param("token")) })
	for _, path := range []string{"/kiosk/" + token, "/kiosk/" + token + "/grid", "/kiosk/" + token + "/events?since=1"} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	out := buf.String()
	if strings.Contains(out, token) {
		t.Fatalf("a log line carries the token:\n%s", out)
	}
	lines := logLines(t, &buf)
	if len(lines) < 4 {
		t.Fatalf("want request and panic lines, got %d:\n%s", len(lines), out)
	}
	if lines[0]["path"] != "/kiosk/REDACTED" || lines[1]["path"] != "/kiosk/REDACTED/grid" {
		t.Errorf("paths = %v, %v", lines[0]["path"], lines[1]["path"])
	}
	if !strings.Contains(lines[1]["err"].(string), "REDACTED") {
		t.Errorf("error = %v", lines[1]["err"])
	}
}
