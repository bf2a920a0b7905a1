package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// apiPerformerDelete answers DELETE /api/v1/performers/{id} with 204; the
// performer's assignments go with them.
func (s *Server) apiPerformerDelete(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	if err := service.DeletePerformer(c.Request().Context(), s.store, callerActor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
