package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// apiDiscoveryApprove answers POST /api/v1/discovery/found/{id}/approve:
// the found device becomes a receiver.
func (s *Server) apiDiscoveryApprove(c echo.Context) error {
	return s.apiReviewFound(c, service.ReviewApprove)
}

// apiDiscoveryReject answers POST /api/v1/discovery/found/{id}/reject: the
// found device is dismissed, and stays so when seen again.
func (s *Server) apiDiscoveryReject(c echo.Context) error {
	return s.apiReviewFound(c, service.ReviewReject)
}

// apiReviewFound reviews one found device with an audit row, as the
// console does; one already reviewed is a 409 saying why.
func (s *Server) apiReviewFound(c echo.Context, action string) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.store.DiscoveredDevices.Get(ctx, id); err != nil {
		return err
	}
	res, err := service.ReviewFound(ctx, s.store, callerActor(c), action, []int64{id})
	if err != nil {
		return err
	}
	if len(res.Refused) > 0 {
		return conflict("%s was left as it is: %s", res.Refused[0].Label, res.Refused[0].Reason)
	}
	if action == service.ReviewApprove {
		s.syncMonitor(ctx)
	}
	d, err := s.store.DiscoveredDevices.Get(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, foundJSON(d))
}
