package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// LongLived readies a route whose answer lasts for hours (a live board
// stream) under a server with read and write timeouts. The server's
// WriteTimeout would cut the stream off, so the write deadline is cleared;
// the stream sets its own on every flush, to drop a client that stopped
// reading. The read deadline is cleared too, so an expired one can never
// end the stream through its request's context (net/http already clears it
// for a request without a body; this keeps it true for any request).
func LongLived() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			rc := http.NewResponseController(c.Response())
			if err := rc.SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
				return fmt.Errorf("clear read deadline of stream: %w", err)
			}
			if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
				return fmt.Errorf("clear write deadline of stream: %w", err)
			}
			if c.Request().Method == http.MethodHead {
				endAtFirstFlush(c)
			}
			return next(c)
		}
	}
}

// endAtFirstFlush makes a HEAD request to a stream end once the stream has
// answered its status and headers: net/http drops the body of a HEAD
// answer, so the rest of the stream would only hold the connection.
func endAtFirstFlush(c echo.Context) {
	ctx, cancel := context.WithCancel(c.Request().Context())
	c.SetRequest(c.Request().WithContext(ctx))
	res := c.Response()
	res.Writer = &cancelOnFlush{ResponseWriter: res.Writer, cancel: cancel}
}

type cancelOnFlush struct {
	http.ResponseWriter
	cancel context.CancelFunc
}

func (w *cancelOnFlush) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	w.cancel()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *cancelOnFlush) Unwrap() http.ResponseWriter { return w.ResponseWriter }
