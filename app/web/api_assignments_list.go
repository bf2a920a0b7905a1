package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
)

// apiAssignmentsList answers GET /api/v1/assignments: by performer, by
// channel, only active ones (active=true) or those that raise alerts
// (with_alerts=true), highest priority first.
func (s *Server) apiAssignmentsList(c echo.Context) error {
	q := s.store.Assignments.Query()
	performer, err := apiQueryID(c, "performer")
	if err != nil {
		return err
	}
	if performer > 0 {
		q = q.ByPerformer(performer)
	}
	channel, err := apiQueryID(c, "channel")
	if err != nil {
		return err
	}
	if channel > 0 {
		q = q.ByChannel(channel)
	}
	active, err := apiQueryBool(c, "active")
	if err != nil {
		return err
	}
	switch {
	case active != nil && *active:
		q = q.Active()
	case active != nil:
		q = q.Ended()
	}
	alerts, err := apiQueryBool(c, "with_alerts")
	if err != nil {
		return err
	}
	switch {
	case alerts != nil && *alerts:
		q = q.WithAlerts()
	case alerts != nil:
		q = q.WithoutAlerts()
	}
	list, err := q.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(assignmentsJSON(list), ""))
}

func assignmentsJSON(list []*model.Assignment) []apiAssignmentJSON {
	out := make([]apiAssignmentJSON, len(list))
	for i, a := range list {
		out[i] = assignmentJSON(a)
	}
	return out
}
