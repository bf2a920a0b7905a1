package middleware

import (
	"time"

	"github.com/labstack/echo/v4"
)

// RequestObserver records one answered request: its route's name ("" when
// none matched), method, final status and duration; stream says it was an
// event stream, whose duration is its lifetime rather than a latency.
type RequestObserver func(route, method string, status int, took time.Duration, stream bool)

// Metrics reports every request to observe once it has been answered.
// Errors are handed to Echo's error handler first, so the status counted
// is the one the client saw. Routes are counted by name, never by path, so
// ids and tokens in URLs cannot grow the label set.
func Metrics(route func(echo.Context) string, observe RequestObserver) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			name := route(c)
			if name == "" {
				name = "unmatched"
			}
			res := c.Response()
			observe(name, c.Request().Method, res.Status, time.Since(start), isEventStream(res.Header().Get(echo.HeaderContentType)))
			return nil
		}
	}
}
