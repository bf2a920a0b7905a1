package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// adminDiscoveryBulk approves or rejects the ticked found devices (ids,
// repeated) or all that match the filter (all=1 plus the filter), in one
// transaction, answering with what changed and what was refused and why.
func (s *Server) adminDiscoveryBulk(c echo.Context) error {
	action := c.FormValue("action")
	if action != service.ReviewApprove && action != service.ReviewReject {
		return s.renderDiscovery(c, http.StatusUnprocessableEntity, taskForm{Kind: "cidr", Interval: "3600"},
			&discoverySummary{Action: truncate(action, 40), Error: "action: choose approve or reject"})
	}
	var ids []int64
	if c.FormValue("all") == "1" {
		form, err := c.FormParams()
		if err != nil {
			return err
		}
		f := queueFilter(form)
		c.Request().URL.RawQuery = f.Encode()
		rows, err := s.queue(c, f)
		if err != nil {
			return err
		}
		for _, d := range rows {
			ids = append(ids, d.ID)
		}
	} else {
		var bad int
		if ids, bad = formIDs(c, "ids"); bad > 0 {
			return s.renderDiscovery(c, http.StatusUnprocessableEntity, taskForm{Kind: "cidr", Interval: "3600"},
				&discoverySummary{Action: action, Error: "ids: every id must be a number"})
		}
	}
	return s.review(c, action, ids)
}
