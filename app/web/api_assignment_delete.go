package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// apiAssignmentDelete answers DELETE /api/v1/assignments/{id} with 204.
func (s *Server) apiAssignmentDelete(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	if err := service.DeleteAssignment(c.Request().Context(), s.store, callerActor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
