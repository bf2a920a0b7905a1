package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/cache"
	"micboard/app/config"
	"micboard/app/ratelimit"
	"micboard/app/web/middleware"
)

// Default API budgets, for a Config built without config.Parse.
var (
	defaultAPIRateRead  = config.Rate{Limit: 120, Period: 60e9}
	defaultAPIRateWrite = config.Rate{Limit: 30, Period: 60e9}
)

// apiLimits are the API's rate limits: reads and writes each have their
// own budget per token, or per client address without one. They count in
// Redis when the cache is there, so every instance shares one budget,
// else in this process.
type apiLimits struct {
	read, write *ratelimit.Limiter
}

func newAPILimits(c *cache.Cache, cfg config.Config) (apiLimits, error) {
	st, err := ratelimit.NewStore(c.Redis())
	if err != nil {
		return apiLimits{}, err
	}
	read, write := cfg.APIRateRead, cfg.APIRateWrite
	if read.Limit <= 0 || read.Period <= 0 {
		read = defaultAPIRateRead
	}
	if write.Limit <= 0 || write.Period <= 0 {
		write = defaultAPIRateWrite
	}
	return apiLimits{
		read:  st.New("api-read", read.Limit, read.Period),
		write: st.New("api-write", write.Limit, write.Period),
	}, nil
}

// apiLimitKey is whom an API call counts against: its token, else its
// client address (the /64 of an IPv6 one).
func apiLimitKey(c echo.Context) string {
	if t := currentToken(c); t != nil {
		return "token:" + strconv.FormatInt(t.ID, 10)
	}
	return "addr:" + middleware.ClientKey(c.RealIP())
}

// apiRateLimit counts every call under /api/ against its read or write
// budget and answers 429 with Retry-After past it. It runs after the
// authenticators (it needs the token) and before authorize. A store that
// fails lets the call through with a WARN: a Redis hiccup must not take
// the API down.
func (s *Server) apiRateLimit() echo.MiddlewareFunc {
	onError := func(c echo.Context, err error) {
		s.log.WarnContext(c.Request().Context(), "API rate limit unavailable; call let through", "err", err)
	}
	key := func(c echo.Context) string {
		if !strings.HasPrefix(c.Request().URL.Path, apiPrefix) {
			return "" // not limited
		}
		return apiLimitKey(c)
	}
	reads := s.apiLimits.read.Middleware(key, onError)
	writes := s.apiLimits.write.Middleware(key, onError)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		read, write := reads(next), writes(next)
		return func(c echo.Context) error {
			if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions {
				return read(c)
			}
			return write(c)
		}
	}
}
