package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiLocationShow answers GET /api/v1/locations/{id}, with its device count.
func (s *Server) apiLocationShow(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	l, err := s.store.Locations.Get(ctx, id)
	if err != nil {
		return err
	}
	n, err := s.store.Locations.CountDevices(ctx, id)
	if err != nil {
		return err
	}
	out := locationJSON(l)
	out.DeviceCount = &n
	return c.JSON(http.StatusOK, out)
}
