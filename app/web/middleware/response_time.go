package middleware

import (
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// HeaderResponseTime carries how long the server took to start answering.
const HeaderResponseTime = "X-Response-Time"

// ResponseTime sets X-Response-Time on every response and logs a WARN line
// for a request that took longer than slow (0: never). The header is set
// just before the status line goes out, since nothing can be added to the
// headers once a body (a live stream's first event) has started; so it
// measures the time to the first byte. The WARN compares the whole
// request, except for event streams, which are meant to last for hours.
func ResponseTime(slow time.Duration, log *slog.Logger) echo.MiddlewareFunc {
	log = slog.New(WithRequestIDs(log.Handler()))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			res := c.Response()
			res.Before(func() { res.Header().Set(HeaderResponseTime, formatMillis(time.Since(start))) })
			err := next(c)
			if !res.Committed {
				// The error handler answers after us; set the header now.
				res.Header().Set(HeaderResponseTime, formatMillis(time.Since(start)))
			}
			took := time.Since(start)
			if slow > 0 && took > slow && !isEventStream(res.Header().Get(echo.HeaderContentType)) {
				req := c.Request()
				path, _ := RedactPath(req.URL.RequestURI())
				log.WarnContext(req.Context(), "slow request",
					"method", req.Method, "path", path, "duration", took, "threshold", slow)
			}
			return err
		}
	}
}

// formatMillis writes d in milliseconds with microsecond precision
// ("12.345ms"), the form dashboards and curl users read at a glance.
func formatMillis(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64) + "ms"
}

func isEventStream(contentType string) bool {
	return strings.HasPrefix(contentType, "text/event-stream")
}
