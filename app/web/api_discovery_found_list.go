package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
)

// apiDiscoveryFoundList answers GET /api/v1/discovery/found: the devices
// discovery found, newest first; state=new lists those waiting for review.
func (s *Server) apiDiscoveryFoundList(c echo.Context) error {
	state := model.DiscoveredState(c.QueryParam("state"))
	switch state {
	case "", model.DiscoveredNew, model.DiscoveredApproved, model.DiscoveredRejected, model.DiscoveredDuplicate:
	default:
		return badField("state", "must be new, approved, rejected or duplicate, not %s", quoteInput(string(state)))
	}
	list, err := s.store.DiscoveredDevices.List(c.Request().Context(), state)
	if err != nil {
		return err
	}
	out := make([]apiFoundJSON, len(list))
	for i, d := range list {
		out[i] = foundJSON(d)
	}
	return c.JSON(http.StatusOK, listOf(out, ""))
}
