package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// adminAssignmentUpdate saves the edit form of one assignment: channel,
// priority, notes, alert flags and alert limits. Moving it to a channel
// that already has an active assignment is refused beside the channel
// field.
func (s *Server) adminAssignmentUpdate(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := s.store.Assignments.Get(c.Request().Context(), id); err != nil {
		return err
	}
	form := readAssignmentForm(c)
	form.ID = id
	in, fields := s.checkAssignmentForm(c, form, false)
	if fields == nil {
		patch := service.AssignmentPatch{ChannelID: &in.ChannelID, Priority: &in.Priority, Notes: &in.Notes, Alerts: in.Alerts,
			Limits: &in.Limits} // every limit: a blank one is the default again
		_, err = service.UpdateAssignment(c.Request().Context(), s.store, service.UserActor(currentUser(c)), id, patch)
		if fields = fieldErrors(err); fields == nil && err != nil {
			return err
		}
	}
	if fields != nil {
		form.Errors = fields
		return s.renderAssignments(c, http.StatusUnprocessableEntity, assignmentsView{edit: &form})
	}
	return s.backTo(c, RouteAdminAssignments, "updated")
}
