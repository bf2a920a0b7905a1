package middleware

import (
	"context"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// HeaderDegraded counts the device connections that are unhealthy.
const HeaderDegraded = "X-Micboard-Degraded"

// Degraded tells API clients that the data they read is partly stale:
// responses under prefix carry X-Micboard-Degraded: N while N device
// connections are unhealthy (no header when all are fine). unhealthy is
// called once per request, so it must be cheap: read the live board or a
// cached count, never run a query. The header is set before the handler
// runs, so it reaches streams as well.
func Degraded(prefix string, unhealthy func(context.Context) int) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if strings.HasPrefix(c.Request().URL.Path, prefix) {
				if n := unhealthy(c.Request().Context()); n > 0 {
					c.Response().Header().Set(HeaderDegraded, strconv.Itoa(n))
				}
			}
			return next(c)
		}
	}
}
