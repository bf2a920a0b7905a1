package middleware_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/web/middleware"
)

func TestGuessLimitCountsOnlyWrongGuesses(t *testing.T) {
	const good = "right-token"
	e := echo.New()
	notFound := func(c echo.Context, err error) bool {
		var he *echo.HTTPError
		return errors.As(err, &he) && he.Code == http.StatusNotFound
	}
	e.GET("/kiosk/:token", func(c echo.Context) error {
		if c.Param("token") != good {
			return echo.ErrNotFound
		}
		return c.String(http.StatusOK, "display")
	}, middleware.GuessLimit(time.Minute, 3, notFound))

	do := func(addr, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/kiosk/"+token, nil)
		req.RemoteAddr = addr + ":40000"
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	// The displays themselves never run out.
	for i := range 20 {
		if rec := do("192.0.2.1", good); rec.Code != http.StatusOK {
			t.Fatalf("right token, request %d: %d", i, rec.Code)
		}
	}
	for i := range 3 {
		if rec := do("192.0.2.1", "guess"+strconv.Itoa(i)); rec.Code != http.StatusNotFound {
			t.Fatalf("guess %d: %d", i, rec.Code)
		}
	}
	// Out of guesses: refused before the lookup, right token or not.
	for _, token := range []string{"guess9", good} {
		rec := do("192.0.2.1", token)
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("%s after the burst: %d", token, rec.Code)
		}
		if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 || s > 60 {
			t.Fatalf("Retry-After = %q", rec.Header().Get("Retry-After"))
		}
	}
	// Another address is not affected; another in the same IPv6 /64 is.
	if rec := do("192.0.2.2", good); rec.Code != http.StatusOK {
		t.Fatalf("other client: %d", rec.Code)
	}
	for i := range 3 {
		do("[2001:db8::1]", "v6guess"+strconv.Itoa(i))
	}
	if rec := do("[2001:db8::2]", "v6guess"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("same /64: %d", rec.Code)
	}
}
