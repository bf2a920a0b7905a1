package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiPerformersList answers GET /api/v1/performers, by name; active=true
// leaves out retired performers.
func (s *Server) apiPerformersList(c echo.Context) error {
	active, err := apiQueryBool(c, "active")
	if err != nil {
		return err
	}
	list, err := s.store.Performers.List(c.Request().Context(), active != nil && *active)
	if err != nil {
		return err
	}
	out := make([]apiPerformerJSON, 0, len(list))
	for _, p := range list {
		if active != nil && !*active && p.Active {
			continue
		}
		out = append(out, performerJSON(p))
	}
	return c.JSON(http.StatusOK, listOf(out, ""))
}
