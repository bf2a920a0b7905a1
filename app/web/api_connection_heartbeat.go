package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiConnectionHeartbeat answers POST /api/v1/connections/{id}/heartbeat:
// records that the link was heard from now (connected, last message now)
// and returns the link record.
func (s *Server) apiConnectionHeartbeat(c echo.Context) error {
	id, err := apiID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	conn, err := s.store.Connections.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.api().connections.Heartbeat(ctx, conn.ReceiverID); err != nil {
		return err
	}
	if conn, err = s.store.Connections.Get(ctx, id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, connectionJSON(conn))
}
