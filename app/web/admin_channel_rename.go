package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/store"
)

// adminChannelRename writes a channel's new name into its receiver (Shure
// SET CHAN_NAME, Sennheiser SSC /rx{n}/name, each model's length limit
// enforced by the device layer) and says whether the device accepted it.
// It answers with the channel's receiver page, or the channels table when
// the form came from there (back=channels).
func (s *Server) adminChannelRename(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ctx := c.Request().Context()
	ch, err := s.store.Channels.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	name := c.FormValue("name")
	var write service.NameWriter
	if ctl := s.deviceControl(); ctl != nil {
		write = ctl.SetChannelName
	}
	_, err = s.dev().channels.Rename(ctx, service.UserActor(currentUser(c)), id, name, write)
	var ve *service.ValidationError
	if errors.As(err, &ve) {
		renames := map[int64]channelRename{id: {Name: truncate(name, 100), Error: ve.Fields["name"]}}
		c.SetParamNames("id")
		c.SetParamValues(strconv.FormatInt(ch.ReceiverID, 10))
		return s.renderReceiver(c, http.StatusUnprocessableEntity, nil, renames)
	}
	if err != nil {
		return err
	}
	s.dev().rows.Poke()
	s.log.InfoContext(ctx, "console: channel renamed on its receiver", "channel", id, "receiver", ch.ReceiverID)
	if c.QueryParam("back") == "channels" {
		to, err := s.reverse(RouteAdminChannels)
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, to+"?done=renamed")
	}
	to, err := s.reverse(RouteAdminReceiverShow, ch.ReceiverID)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to+"?done=renamed")
}
