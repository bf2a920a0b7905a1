package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
)

// metricsShow serves GET /metrics in the Prometheus text format to those
// mayReadMetrics admits, and 401 to anyone else.
func (s *Server) metricsShow(c echo.Context) error {
	if !s.mayReadMetrics(c) {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="micboard"`)
		return echo.NewHTTPError(http.StatusUnauthorized)
	}
	noStore(c)
	s.metrics.Handler().ServeHTTP(c.Response(), c.Request())
	return nil
}

// mayReadMetrics is the one gate of /metrics: anyone when
// MICBOARD_METRICS_PUBLIC=true, else a logged-in admin or an admin API
// token (authenticateBearer). The route is public in routeAccess so that
// this gate, not a login redirect, answers a scraper.
func (s *Server) mayReadMetrics(c echo.Context) bool {
	if s.cfg.MetricsPublic {
		return true
	}
	u := currentUser(c)
	return u != nil && u.Role.AtLeast(model.RoleAdmin)
}
