package middleware

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// StreamLimit caps how many live streams an instance serves at once: each
// holds a goroutine, a socket and buffers for hours, so past the cap a new
// one answers 503 with Retry-After and the browser tries again later (or
// another instance behind the load balancer takes it).
func StreamLimit(limit int, retryAfter time.Duration) echo.MiddlewareFunc {
	var open atomic.Int64
	retry := strconv.Itoa(max(1, int(retryAfter/time.Second)))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if open.Add(1) > int64(limit) {
				open.Add(-1)
				c.Response().Header().Set("Retry-After", retry)
				return echo.NewHTTPError(http.StatusServiceUnavailable)
			}
			defer open.Add(-1)
			return next(c)
		}
	}
}
