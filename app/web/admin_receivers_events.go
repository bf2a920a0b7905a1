package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// PartialAdminReceiverRow is one row of the receivers table, drawn the same
// in the page and in its live updates.
const PartialAdminReceiverRow = "admin_receiver_row"

// maxStreamRows bounds the rows one table follows (a page shows 25).
const maxStreamRows = 200

// adminReceiversEvents streams the rows of one page of the receivers table
// (?ids=1,2,3) as they change: an event "row" carries a whole row. Ticked
// boxes survive because the page's script keeps them across swaps.
func (s *Server) adminReceiversEvents(c echo.Context) error {
	var ids []int64
	for _, part := range strings.Split(c.QueryParam("ids"), ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64); err == nil && id > 0 && len(ids) < maxStreamRows {
			ids = append(ids, id)
		}
	}
	write, err := openEventStream(c)
	if err != nil {
		return err
	}

	hub := s.dev().rows
	ctx := c.Request().Context()
	sub, first := hub.join(ctx, ids)
	defer hub.leave(sub)
	if err := write(append([]byte("retry: 2000\n\n"), first...)); err != nil {
		return nil
	}
	ping := time.NewTicker(rowPingEvery)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.stopping:
			return nil
		case <-sub.lagged:
			return nil // the browser reconnects and gets every row afresh
		case b := <-sub.frames:
			if err := write(b); err != nil {
				return nil
			}
		case <-ping.C:
			if err := write([]byte("event: ping\ndata: 1\n\n")); err != nil {
				return nil
			}
		}
	}
}
