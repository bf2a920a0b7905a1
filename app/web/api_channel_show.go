package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiChannelShow answers GET /api/v1/channels/{id}.
func (s *Server) apiChannelShow(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	ch, err := s.store.Channels.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, channelJSON(ch))
}
