package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// apiPerformerBody is the body of POST and PATCH /api/v1/performers.
type apiPerformerBody struct {
	Name   *string `json:"name"`
	Role   *string `json:"role"`
	Notes  *string `json:"notes"`
	Active *bool   `json:"active"`
}

// apiPerformerCreate answers POST /api/v1/performers with the new
// performer (201), recorded in the audit log.
func (s *Server) apiPerformerCreate(c echo.Context) error {
	var body apiPerformerBody
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	if body.Name == nil {
		return badField("name", "give the performer a name")
	}
	in := service.PerformerInput{Name: *body.Name, Active: body.Active}
	if body.Role != nil {
		in.Role = *body.Role
	}
	if body.Notes != nil {
		in.Notes = *body.Notes
	}
	p, err := service.CreatePerformer(c.Request().Context(), s.store, callerActor(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, performerJSON(p))
}
