package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// apiChannelRenameBody is the body of PATCH /api/v1/channels/{id}.
type apiChannelRenameBody struct {
	Name *string `json:"name"`
}

// apiChannelRename answers PATCH /api/v1/channels/{id}: the new name is
// written into the receiver (the rename service, as the console's form),
// and stored once the device took it. A name the device refuses, or a
// receiver nobody watches, is a 422 on "name" and changes nothing.
func (s *Server) apiChannelRename(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	var body apiChannelRenameBody
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	if body.Name == nil {
		return badField("name", "give the channel's new name")
	}
	ctx := c.Request().Context()
	if _, err := s.store.Channels.Get(ctx, id); err != nil {
		return err
	}
	var write service.NameWriter
	if ctl := s.deviceControl(); ctl != nil {
		write = ctl.SetChannelName
	}
	if _, err := s.api().channels.Rename(ctx, callerActor(c), id, *body.Name, write); err != nil {
		return err
	}
	s.dev().rows.Poke()
	ch, err := s.store.Channels.Get(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, channelJSON(ch))
}
