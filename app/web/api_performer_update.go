package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// apiPerformerUpdate answers PATCH /api/v1/performers/{id}: changes the
// fields sent, keeps the rest, and records before → after.
func (s *Server) apiPerformerUpdate(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	var body apiPerformerBody
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := s.store.Performers.Get(ctx, id)
	if err != nil {
		return err
	}
	in := service.PerformerInput{Name: p.Name, Role: p.Role, Notes: p.Notes, Active: body.Active}
	if body.Name != nil {
		in.Name = *body.Name
	}
	if body.Role != nil {
		in.Role = *body.Role
	}
	if body.Notes != nil {
		in.Notes = *body.Notes
	}
	p, err = service.UpdatePerformer(ctx, s.store, callerActor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, performerJSON(p))
}
