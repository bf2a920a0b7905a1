package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiLocationDelete answers DELETE /api/v1/locations/{id} with 204. A
// location that still holds receivers or rooms is a 409 saying what to
// move first.
func (s *Server) apiLocationDelete(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	if err := s.api().locations.Delete(c.Request().Context(), id); err != nil {
		if msg := fieldErrors(err)["delete"]; msg != "" {
			return conflict("%s", msg)
		}
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
