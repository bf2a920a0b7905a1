package middleware

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// quietPaths are probed every few seconds by orchestrators; they log at
// debug level so they do not drown the requests people make.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true}

// RequestLog logs one line per request once it has been answered: method,
// path, status, duration, size, client address and request id. Errors are
// handed to Echo's error handler first, so the status logged is the one the
// client saw. Secret path segments (SecretPaths) are redacted, in the
// path and in the error alike. The request id (RequestID) comes from the
// context, as on every other line the request logs.
func RequestLog(log *slog.Logger) echo.MiddlewareFunc {
	log = slog.New(WithRequestIDs(log.Handler()))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			req, res := c.Request(), c.Response()
			level := slog.LevelInfo
			switch {
			case res.Status >= http.StatusInternalServerError:
				level = slog.LevelError
			case quietPaths[req.URL.Path] && res.Status < http.StatusBadRequest:
				level = slog.LevelDebug
			}
			ctx := req.Context()
			if !log.Enabled(ctx, level) {
				return nil
			}
			path, secrets := RedactPath(req.URL.RequestURI())
			attrs := []slog.Attr{
				slog.String("method", req.Method),
				slog.String("path", path),
				slog.Int("status", res.Status),
				slog.Duration("duration", time.Since(start)),
				slog.Int64("bytes", res.Size),
				slog.String("ip", c.RealIP()),
			}
			if req.Header.Get("HX-Request") == "true" {
				attrs = append(attrs, slog.Bool("htmx", true))
			}
			if err != nil && res.Status >= http.StatusInternalServerError {
				attrs = append(attrs, slog.String("err", Scrub(err.Error(), secrets)))
			}
			log.LogAttrs(ctx, level, "request", attrs...)
			return nil
		}
	}
}
