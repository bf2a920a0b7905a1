package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// apiAssignmentUpdate answers PATCH /api/v1/assignments/{id}: changes the
// fields sent (channel_id, priority, notes, active, alerts, and of
// alert_limits the limits it names, null taking the default again; null
// for the whole object clears them all) and leaves the rest. Moving it to, or reactivating it on, a channel that has another
// active assignment is a 409 and nothing changes.
func (s *Server) apiAssignmentUpdate(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	var body apiAssignmentBody
	sent, err := bindJSONSent(c, &body)
	if err != nil {
		return err
	}
	if body.PerformerID != nil {
		return badField("performer_id", "an assignment keeps its performer: end it and create another")
	}
	ctx := c.Request().Context()
	if _, err := s.store.Assignments.Get(ctx, id); err != nil {
		return err
	}
	p := service.AssignmentPatch{ChannelID: body.ChannelID, Notes: body.Notes, Active: body.Active}
	if body.ChannelID != nil {
		if _, err := s.store.Channels.Get(ctx, *body.ChannelID); err != nil {
			return mustExist(err, "channel_id")
		}
	}
	if body.Priority != nil {
		pr := model.Priority(*body.Priority)
		p.Priority = &pr
	}
	if body.Alerts != nil {
		f := body.Alerts.flags()
		p.Alerts = &f
	}
	switch {
	case body.AlertLimits != nil && len(body.AlertLimits.sent) > 0:
		l := body.AlertLimits.limits()
		p.Limits, p.LimitFields = &l, body.AlertLimits.sent
	case body.AlertLimits == nil && sent["alert_limits"] != nil:
		p.Limits = &model.AlertLimits{} // "alert_limits": null: every limit the default
	}
	a, err := service.UpdateAssignment(ctx, s.store, callerActor(c), id, p)
	if err != nil {
		return apiAssignmentError(err)
	}
	return c.JSON(http.StatusOK, assignmentJSON(a))
}
