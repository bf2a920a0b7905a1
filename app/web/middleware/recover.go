package middleware

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"
)

// Recover turns a panicking handler into a 500 answered by the error
// handler, and logs the panic with its stack so it can be fixed.
func Recover(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				if r == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
					panic(r) // net/http's way to abort a response; let it do so
				}
				e, ok := r.(error)
				if !ok {
					e = fmt.Errorf("%v", r)
				}
				err = fmt.Errorf("panic in %s %s: %w", c.Request().Method, c.Path(), e)
				path, secrets := RedactPath(c.Request().URL.Path)
				log.ErrorContext(c.Request().Context(), "handler panicked",
					"method", c.Request().Method, "path", path,
					"err", Scrub(e.Error(), secrets), "stack", Scrub(string(debug.Stack()), secrets))
			}()
			return next(c)
		}
	}
}
