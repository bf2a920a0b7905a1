package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// adminAssignmentCreate puts a performer on a channel. A channel that
// already has an active assignment is refused beside the channel field;
// bad input returns the form as typed and stores nothing.
func (s *Server) adminAssignmentCreate(c echo.Context) error {
	form := readAssignmentForm(c)
	in, fields := s.checkAssignmentForm(c, form, true)
	if fields == nil {
		_, err := service.CreateAssignment(c.Request().Context(), s.store, service.UserActor(currentUser(c)), in)
		if fields = fieldErrors(err); fields == nil && err != nil {
			return err
		}
	}
	if fields != nil {
		form.Errors = fields
		return s.renderAssignments(c, http.StatusUnprocessableEntity, assignmentsView{create: &form})
	}
	return s.backTo(c, RouteAdminAssignments, "created")
}

// checkAssignmentForm reads the ids and alert limits of the form and checks
// that the performer (when asked) and the channel exist and the limits are
// numbers in range, answering field messages.
func (s *Server) checkAssignmentForm(c echo.Context, form assignmentForm, needPerformer bool) (service.AssignmentInput, map[string]string) {
	ctx := c.Request().Context()
	fields := map[string]string{}
	in := service.AssignmentInput{Priority: model.Priority(form.Priority), Notes: form.Notes, Alerts: &form.Alerts}
	limits, bad := parseLimits(form.Limits)
	for name, msg := range bad {
		fields[name] = msg
	}
	for name, msg := range limits.Validate() {
		if _, seen := fields[name]; !seen {
			fields[name] = msg
		}
	}
	in.Limits = limits
	if needPerformer {
		id, ok := formID(c, "performer")
		switch {
		case !ok:
			fields["performer"] = "choose a performer"
		default:
			if _, err := s.store.Performers.Get(ctx, id); errors.Is(err, store.ErrNotFound) {
				fields["performer"] = "there is no such performer"
			}
			in.PerformerID = id
		}
	}
	id, ok := formID(c, "channel")
	switch {
	case !ok:
		fields["channel"] = "choose a channel"
	default:
		if _, err := s.store.Channels.Get(ctx, id); errors.Is(err, store.ErrNotFound) {
			fields["channel"] = "there is no such channel"
		}
		in.ChannelID = id
	}
	if !in.Priority.Valid() {
		fields["priority"] = "must be low, normal, high or critical"
	}
	if len(in.Notes) > 2000 {
		fields["notes"] = "at most 2000 characters"
	}
	if len(fields) == 0 {
		return in, nil
	}
	return in, fields
}
