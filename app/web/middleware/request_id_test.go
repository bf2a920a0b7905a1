package middleware_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"micboard/app/web/middleware"
)

func TestRequestIDHonouredOrMade(t *testing.T) {
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"none sent", "", false},
		{"client id kept", "show-ctl-4f2a:17", true},
		{"too long replaced", strings.Repeat("a", 65), false},
		{"spaces replaced", "id with spaces", false},
		{"quotes replaced", `x"y`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inHandler string
			e := echo.New()
			e.Use(middleware.RequestID())
			e.GET("/", func(c echo.Context) error {
				inHandler = middleware.RequestIDFrom(c.Request().Context())
				return c.NoContent(http.StatusNoContent)
			})
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.sent != "" {
				req.Header.Set(echo.HeaderXRequestID, tt.sent)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			got := rec.Header().Get(echo.HeaderXRequestID)
			if got == "" || got != inHandler {
				t.Fatalf("response id %q, handler saw %q", got, inHandler)
			}
			if (got == tt.sent) != tt.kept {
				t.Fatalf("sent %q, answered %q, want kept=%v", tt.sent, got, tt.kept)
			}
		})
	}
}

// Every line logged with the request's context carries its id: the request
// log and a handler's own lines alike.
func TestRequestIDInEveryLogLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(middleware.WithRequestIDs(newLogger(&buf, slog.LevelInfo).Handler()))
	e := echo.New()
	e.Use(middleware.RequestID(), middleware.RequestLog(log))
	e.GET("/", func(c echo.Context) error {
		log.InfoContext(c.Request().Context(), "receiver looked up")
		log.With("component", "web").WarnContext(c.Request().Context(), "slow receiver")
		return c.String(http.StatusOK, "ok")
	})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(echo.HeaderXRequestID, "trace-1")
	e.ServeHTTP(httptest.NewRecorder(), req)

	lines := logLines(t, &buf)
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %d:\n%s", len(lines), buf.String())
	}
	for _, l := range lines {
		if l["request_id"] != "trace-1" {
			t.Errorf("line without the request id: %v", l)
		}
	}
	if strings.Count(buf.String(), "request_id") != 3 {
		t.Errorf("the id is repeated on a line:\n%s", buf.String())
	}
}

func TestWithRequestIDsWrapsOnce(t *testing.T) {
	h := middleware.WithRequestIDs(slog.DiscardHandler)
	if middleware.WithRequestIDs(h) != h {
		t.Fatal("wrapping twice added a second layer")
	}
}
