package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiReceiverShow answers GET /api/v1/receivers/{id}: the receiver with its
// channels, transmitters and connection.
func (s *Server) apiReceiverShow(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	rx, err := s.store.Receivers.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, receiverJSON(rx))
}
