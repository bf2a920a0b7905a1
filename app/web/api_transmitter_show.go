package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiTransmitterShow answers GET /api/v1/transmitters/{id}.
func (s *Server) apiTransmitterShow(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	tx, err := s.store.Transmitters.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, transmitterJSON(tx))
}
