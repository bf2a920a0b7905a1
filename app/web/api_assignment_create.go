package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// apiAssignmentBody is the body of POST and PATCH /api/v1/assignments.
type apiAssignmentBody struct {
	PerformerID *int64              `json:"performer_id"`
	ChannelID   *int64              `json:"channel_id"`
	Priority    *string             `json:"priority"`
	Notes       *string             `json:"notes"`
	Active      *bool               `json:"active"`
	Alerts      *apiAlertsJSON      `json:"alerts"`
	AlertLimits *apiAlertLimitsJSON `json:"alert_limits"`
}

// assignmentFields are the API's names of the assignment service's fields.
var assignmentFields = map[string]string{"performer": "performer_id", "channel": "channel_id"}

// apiAssignmentCreate answers POST /api/v1/assignments: puts a performer on
// a channel, with an audit row and its alert limits (null or left out: the
// default). A channel that already has an active assignment is a 409 and
// nothing changes.
func (s *Server) apiAssignmentCreate(c echo.Context) error {
	var body apiAssignmentBody
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	switch {
	case body.PerformerID == nil:
		return badField("performer_id", "give the performer's id")
	case body.ChannelID == nil:
		return badField("channel_id", "give the channel's id")
	case body.Active != nil && !*body.Active:
		return badField("active", "a new assignment is active; end it with PATCH")
	}
	ctx := c.Request().Context()
	if _, err := s.store.Performers.Get(ctx, *body.PerformerID); err != nil {
		return mustExist(err, "performer_id")
	}
	if _, err := s.store.Channels.Get(ctx, *body.ChannelID); err != nil {
		return mustExist(err, "channel_id")
	}
	in := service.AssignmentInput{PerformerID: *body.PerformerID, ChannelID: *body.ChannelID}
	if body.Priority != nil {
		in.Priority = model.Priority(*body.Priority)
	}
	if body.Notes != nil {
		in.Notes = *body.Notes
	}
	if body.Alerts != nil {
		f := body.Alerts.flags()
		in.Alerts = &f
	}
	if body.AlertLimits != nil {
		in.Limits = body.AlertLimits.limits()
	}
	a, err := service.CreateAssignment(ctx, s.store, callerActor(c), in)
	if err != nil {
		return apiAssignmentError(err)
	}
	return c.JSON(http.StatusCreated, assignmentJSON(a))
}
