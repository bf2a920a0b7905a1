package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// adminDiscoveryReview approves, rejects or marks as a duplicate one found
// device (action = approve, reject or duplicate).
func (s *Server) adminDiscoveryReview(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := s.store.DiscoveredDevices.Get(c.Request().Context(), id); err != nil {
		return err
	}
	return s.review(c, c.FormValue("action"), []int64{id})
}

// review runs one review and answers with its summary above the queue.
func (s *Server) review(c echo.Context, action string, ids []int64) error {
	res, err := service.ReviewFound(c.Request().Context(), s.store, service.UserActor(currentUser(c)), action, ids)
	if fields := fieldErrors(err); fields != nil {
		msg := ""
		for k, m := range fields {
			msg = k + ": " + m
		}
		return s.renderDiscovery(c, http.StatusUnprocessableEntity, taskForm{Kind: "cidr", Interval: "3600"},
			&discoverySummary{Action: truncate(action, 40), Error: msg})
	}
	if err != nil {
		return err
	}
	return s.renderDiscovery(c, http.StatusOK, taskForm{Kind: "cidr", Interval: "3600"},
		&discoverySummary{Action: action, Changed: len(res.Changed), Refused: res.Refused})
}
