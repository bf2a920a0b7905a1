package middleware

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// HeaderAPIVersion names the version of the JSON API that answered.
const HeaderAPIVersion = "X-API-Version"

// APIVersion sets X-API-Version on every response under prefix (errors
// and 404s included), before the handler runs, so streams carry it too.
func APIVersion(prefix, version string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if strings.HasPrefix(c.Request().URL.Path, prefix) {
				c.Response().Header().Set(HeaderAPIVersion, version)
			}
			return next(c)
		}
	}
}
