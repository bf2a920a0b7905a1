package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiAssignmentShow answers GET /api/v1/assignments/{id}.
func (s *Server) apiAssignmentShow(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	a, err := s.store.Assignments.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, assignmentJSON(a))
}
