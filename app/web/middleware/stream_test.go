package middleware_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/web/middleware"
)

// tickStream writes a line every 50 ms until the request's context ends,
// the way a live board stream does.
func tickStream(ended chan<- struct{}) echo.HandlerFunc {
	return func(c echo.Context) error {
		defer func() { ended <- struct{}{} }()
		c.Response().Header().Set(echo.HeaderContentType, "text/event-stream")
		c.Response().WriteHeader(http.StatusOK)
		c.Response().Flush()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-c.Request().Context().Done():
				return nil
			case <-tick.C:
				if _, err := c.Response().Write([]byte("data: tick\n\n")); err != nil {
					return nil
				}
				c.Response().Flush()
			}
		}
	}
}

// serveShortTimeouts serves e with read and write timeouts far shorter
// than the stream lasts.
func serveShortTimeouts(t *testing.T, e *echo.Echo) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestLongLivedOutlastsServerTimeouts(t *testing.T) {
	ended := make(chan struct{}, 4)
	e := echo.New()
	e.GET("/stream", tickStream(ended), middleware.LongLived())
	base := serveShortTimeouts(t, e)

	res, err := http.Get(base + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	start, ticks := time.Now(), 0
	for time.Since(start) < time.Second && sc.Scan() {
		if sc.Text() == "data: tick" {
			ticks++
		}
	}
	// Five times the server's timeouts later the stream still runs.
	if time.Since(start) < time.Second || ticks < 10 {
		t.Fatalf("stream ended after %s and %d ticks (err %v)", time.Since(start).Round(time.Millisecond), ticks, sc.Err())
	}
	select {
	case <-ended:
		t.Fatal("the handler ended while its client still read")
	default:
	}
}

func TestLongLivedHeadAnswersAndEnds(t *testing.T) {
	ended := make(chan struct{}, 4)
	e := echo.New()
	e.Add(http.MethodHead, "/stream", tickStream(ended), middleware.LongLived())
	base := serveShortTimeouts(t, e)

	res, err := http.Head(base + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("HEAD = %d %v", res.StatusCode, res.Header)
	}
	select {
	case <-ended:
	case <-time.After(2 * time.Second):
		t.Fatal("a HEAD request left its stream running")
	}
}

func TestStreamLimit(t *testing.T) {
	release := make(chan struct{})
	var running atomic.Int32
	e := echo.New()
	e.GET("/stream", func(c echo.Context) error {
		running.Add(1)
		defer running.Add(-1)
		select {
		case <-release:
		case <-c.Request().Context().Done():
		}
		return c.NoContent(http.StatusOK)
	}, middleware.StreamLimit(2, 10*time.Second))
	base := serveShortTimeouts(t, e)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 2 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/stream", nil)
		go func() {
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
		}()
	}
	for deadline := time.Now().Add(2 * time.Second); running.Load() < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first two streams did not start")
		}
	}
	res, err := http.Get(base + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "10" {
		t.Fatalf("third stream: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	close(release)
	for deadline := time.Now().Add(2 * time.Second); running.Load() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("streams did not end")
		}
	}
	res, err = http.Get(base + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("after the others ended: %d", res.StatusCode)
	}
}
