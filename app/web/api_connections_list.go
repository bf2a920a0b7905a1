package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
)

// apiConnectionsList answers GET /api/v1/connections: the link record of
// every receiver, or one vendor's (?manufacturer=shure).
func (s *Server) apiConnectionsList(c echo.Context) error {
	q := s.store.Connections.Query()
	if v := strings.TrimSpace(c.QueryParam("manufacturer")); v != "" {
		q = q.ByManufacturer(truncate(v, 32))
	}
	list, err := q.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(connectionsJSON(list), ""))
}

// Bounds of ?timeout= on /api/v1/connections/unhealthy.
const (
	defaultSilentTimeout = 30 * time.Second
	maxSilentTimeout     = 24 * time.Hour
)

// apiConnectionsUnhealthy answers GET /api/v1/connections/unhealthy: links
// in error or disconnected, and those silent for longer than timeout (30s
// when not given).
func (s *Server) apiConnectionsUnhealthy(c echo.Context) error {
	timeout, err := apiQueryDuration(c, "timeout", defaultSilentTimeout, time.Second, maxSilentTimeout)
	if err != nil {
		return err
	}
	list, err := s.api().connections.HealthCheck(c.Request().Context(), timeout)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(connectionsJSON(list), ""))
}

func connectionsJSON(list []*model.Connection) []apiConnectionJSON {
	out := make([]apiConnectionJSON, len(list))
	for i, conn := range list {
		out[i] = connectionJSON(conn)
	}
	return out
}
