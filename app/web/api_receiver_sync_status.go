package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// apiReceiverSyncStatus answers POST /api/v1/receivers/{id}/sync_status:
// the receiver's online flag, lifecycle status and connection record are
// set to what the monitor sees of it now (the live board), with an audit
// row, as the console's bulk "sync status" does. A receiver the action
// does not apply to (inactive, retired) is a 409 saying why.
func (s *Server) apiReceiverSyncStatus(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.store.Receivers.Get(ctx, id); err != nil {
		return err
	}
	res, err := s.api().devices.BulkReceivers(ctx, callerActor(c), service.ReceiverBulkInput{
		Action: service.BulkSyncStatus, IDs: []int64{id}, Online: s.onlineNow(),
	})
	if err != nil {
		return err
	}
	if len(res.Refused) > 0 {
		return conflict("receiver %d was left as it is: %s", id, res.Refused[0].Reason)
	}
	s.dev().rows.Poke()
	rx, err := s.store.Receivers.Get(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, receiverJSON(rx))
}
