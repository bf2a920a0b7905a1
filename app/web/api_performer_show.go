package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiPerformerShow answers GET /api/v1/performers/{id}.
func (s *Server) apiPerformerShow(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	p, err := s.store.Performers.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, performerJSON(p))
}
