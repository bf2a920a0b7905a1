package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// adminAssignmentsBulk runs one action on the ticked assignments (ids,
// repeated) or on all that match the filter (all=1 plus the filter), in one
// transaction, and answers with what changed and what was refused and why.
// "end" stops assignments, so it first asks, saying how many.
func (s *Server) adminAssignmentsBulk(c echo.Context) error {
	ctx := c.Request().Context()
	action := c.FormValue("action")
	var ids []int64
	all := c.FormValue("all") == "1"
	if all {
		form, err := c.FormParams()
		if err != nil {
			return err
		}
		// The filter comes with the form; it replaces the URL's for this answer.
		f := parseTableQuery(form, assignmentSorts, "performer", assignmentFilters)
		c.Request().URL.RawQuery = f.Encode()
		if ids, err = assignmentQuery(s.store, f).IDs(ctx); err != nil {
			return err
		}
	} else {
		var bad int
		ids, bad = formIDs(c, "ids")
		if bad > 0 {
			return s.renderAssignments(c, http.StatusUnprocessableEntity, assignmentsView{bulk: &bulkSummary{Action: action, Error: "ids: every id must be a number"}})
		}
	}
	if action == service.BulkEnd && c.FormValue("confirm") != "1" && len(ids) > 0 {
		conf := &bulkConfirm{Action: action, Count: len(ids), All: all}
		if !all {
			conf.IDs = ids
		}
		return s.renderAssignments(c, http.StatusOK, assignmentsView{confirm: conf})
	}
	res, err := service.BulkAssignments(ctx, s.store, service.UserActor(currentUser(c)), action, ids)
	if fields := fieldErrors(err); fields != nil {
		msg := ""
		for k, m := range fields {
			msg = k + ": " + m
		}
		return s.renderAssignments(c, http.StatusUnprocessableEntity, assignmentsView{bulk: &bulkSummary{Action: truncate(action, 40), Error: msg}})
	}
	if err != nil {
		return err
	}
	return s.renderAssignments(c, http.StatusOK, assignmentsView{bulk: &bulkSummary{Action: action, Changed: len(res.Changed), Refused: res.Refused}})
}
