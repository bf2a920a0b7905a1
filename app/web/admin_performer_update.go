package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// adminPerformerUpdate saves the edit form of one performer; bad input
// returns the form open with the message beside the field.
func (s *Server) adminPerformerUpdate(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	active := performerActive(c)
	in := service.PerformerInput{Name: c.FormValue("name"), Role: c.FormValue("role"), Notes: c.FormValue("notes"), Active: &active}
	_, err = service.UpdatePerformer(c.Request().Context(), s.store, service.UserActor(currentUser(c)), id, in)
	if fields := fieldErrors(err); fields != nil {
		form := &performerForm{ID: id, Name: truncate(in.Name, 200), Role: truncate(in.Role, 200), Notes: truncate(in.Notes, 2000), Active: active, Errors: fields}
		return s.renderPerformers(c, http.StatusUnprocessableEntity, performerForm{Active: true}, form)
	}
	if err != nil {
		return err
	}
	return s.backTo(c, RouteAdminPerformers, "updated")
}
