package web

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// Stream timings. Tiles are flushed at most five times a second, each tile
// once per flush whatever happened to it meanwhile, so a state change
// reaches a page within a quarter of a second with room for the device's
// own round trip; pings let a page tell a silent network from a quiet board.
const (
	streamFlushEvery = 200 * time.Millisecond
	streamPingEvery  = 2 * time.Second // a page calls itself stale after 5 s without a word
	kioskCheckEvery  = 5 * time.Second // a revoked display learns it within this
	streamRetry      = 2000            // ms, the browser's reconnect delay
)

// streamTiles sends live updates for a view until the client leaves, the
// server stops, or check (run every ping) fails. since is the board version
// the page was drawn at. The stream hub computes and encodes the view's
// updates once for all its streams; this goroutine only copies the bytes to
// its socket, so a slow browser holds up nobody but itself.
func (s *Server) streamTiles(c echo.Context, f *viewFilter, opts tileOptions, since uint64, check func(context.Context) string) error {
	r := c.Request()
	write, err := openEventStream(c)
	if err != nil {
		return err
	}

	feed, sub, first := s.streams.join(f, opts, since)
	defer s.streams.leave(feed, sub)

	if err := write(first); err != nil {
		return nil
	}

	var checkTick <-chan time.Time
	if check != nil {
		tk := time.NewTicker(kioskCheckEvery)
		defer tk.Stop()
		checkTick = tk.C
	}
	var resync bytes.Buffer
	appendEvent(&resync, "resync", []byte("1"))
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.stopping:
			return nil
		case frame := <-sub.frames:
			// Frames were dropped while this client was slow: its page
			// draws the grid again, then carries on with what follows.
			if sub.lagged.Swap(false) {
				if err := write(resync.Bytes()); err != nil {
					return nil
				}
			}
			if err := write(frame); err != nil {
				return nil // the client left or stopped reading
			}
		case <-checkTick:
			if ev := check(r.Context()); ev != "" {
				var b bytes.Buffer
				appendEvent(&b, ev, []byte(ev))
				_ = write(b.Bytes())
				return nil
			}
		}
	}
}

// streamWriteTimeout drops a client that stops reading without closing, so
// its stream does not hold a goroutine and a socket for good.
const streamWriteTimeout = 10 * time.Second

// maxCatchUp is how many changed tiles a (re)connecting page is sent one
// by one before it is asked to re-draw its grid instead.
const maxCatchUp = 64

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

// openEventStream starts a server-sent event response (no caching, no proxy
// buffering) and returns how to send on it: each write gets
// streamWriteTimeout, so a client that stops reading is dropped rather
// than waited for (not every writer supports the deadline), and is
// flushed at once.
func openEventStream(c echo.Context) (write func([]byte) error, err error) {
	w := c.Response()
	flusher, ok := w.Writer.(http.Flusher)
	if !ok {
		return nil, echo.NewHTTPError(http.StatusInternalServerError, "streaming unsupported")
	}
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w.Writer)
	return func(b []byte) error {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return err
		}
		flusher.Flush()
		return nil
	}, nil
}
