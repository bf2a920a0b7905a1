package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// adminPerformerCreate adds a performer; bad input returns the page with
// the message beside the field and what was typed kept.
func (s *Server) adminPerformerCreate(c echo.Context) error {
	in := service.PerformerInput{Name: c.FormValue("name"), Role: c.FormValue("role"), Notes: c.FormValue("notes")}
	_, err := service.CreatePerformer(c.Request().Context(), s.store, service.UserActor(currentUser(c)), in)
	if fields := fieldErrors(err); fields != nil {
		form := performerForm{Name: truncate(in.Name, 200), Role: truncate(in.Role, 200), Notes: truncate(in.Notes, 2000), Active: true, Errors: fields}
		return s.renderPerformers(c, http.StatusUnprocessableEntity, form, nil)
	}
	if err != nil {
		return err
	}
	return s.backTo(c, RouteAdminPerformers, "created")
}
