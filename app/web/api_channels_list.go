package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
)

// apiChannelsList answers GET /api/v1/channels: every channel of the
// watched receivers with its transmitter, or one receiver's (?receiver=).
func (s *Server) apiChannelsList(c echo.Context) error {
	rx, err := apiQueryID(c, "receiver")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var list []*model.Channel
	if rx > 0 {
		if _, err := s.store.Receivers.Get(ctx, rx); err != nil {
			return err
		}
		list, err = s.store.Channels.ByReceiver(ctx, rx)
	} else {
		list, err = s.store.Channels.All(ctx)
	}
	if err != nil {
		return err
	}
	out := make([]apiChannelJSON, len(list))
	for i, ch := range list {
		out[i] = channelJSON(ch)
	}
	return c.JSON(http.StatusOK, listOf(out, ""))
}
