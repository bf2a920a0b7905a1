package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiDiscoveryTasksList answers GET /api/v1/discovery/tasks, by name.
func (s *Server) apiDiscoveryTasksList(c echo.Context) error {
	list, err := s.store.DiscoveryTasks.List(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]apiTaskJSON, len(list))
	for i, t := range list {
		out[i] = taskJSON(t)
	}
	return c.JSON(http.StatusOK, listOf(out, ""))
}
