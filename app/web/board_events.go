package web

import (
	"strconv"

	"github.com/labstack/echo/v4"
)

// boardEvents streams live tile updates for the view in the URL.
func (s *Server) boardEvents(c echo.Context) error {
	q, err := parseBoardQuery(c.QueryParams())
	if err != nil {
		return err
	}
	f, err := s.resolveView(c.Request().Context(), q)
	if err != nil {
		return err
	}
	since, _ := strconv.ParseUint(c.QueryParam("since"), 10, 64)
	return s.streamTiles(c, f, boardOptions, since, nil)
}
