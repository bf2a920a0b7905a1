package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/web/htmx"
)

// adminReceiversBulk runs one action on the ticked receivers (ids,
// repeated) or on all that match the filter (all=1 and the filter's
// fields). An action that stops something first answers with a question
// saying how many rows, and runs once it comes back with confirm=1. The
// answer is the bulk panel (for htmx) or the whole page: what changed, and
// what was refused and why; the table's rows follow by their live stream.
func (s *Server) adminReceiversBulk(c echo.Context) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	req := c.Request()
	if err := req.ParseForm(); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	form := req.Form
	f := parseReceiversFilter(form)
	f.Page = 1
	action := service.ReceiverAction(strings.TrimSpace(form.Get("action")))
	all := form.Get("all") == "1"
	panel := rxBulkPanel{CSRF: csrfToken(c), Query: f.Values().Encode(), All: all, Action: truncate(string(action), 32), Actions: service.ReceiverActions, Errors: map[string]string{}}
	locs, _, err := s.receiverChoices(ctx)
	if err != nil {
		return err
	}
	panel.Locations = locs
	if panel.Total, err = f.query(s.store).Count(ctx); err != nil {
		return err
	}

	var ids []int64
	if all {
		if ids, err = f.query(s.store).ListIDs(ctx); err != nil {
			return err
		}
	} else {
		for _, v := range form["ids"] {
			id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || id <= 0 {
				panel.Errors["ids"] = fmt.Sprintf("%q is not a receiver id", truncate(v, 20))
				continue
			}
			ids = append(ids, id)
		}
	}
	var locationID *int64
	if raw := strings.TrimSpace(form.Get("location")); raw != "" && action == service.BulkSetLocation {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			panel.Errors["location"] = "choose a location from the list"
		} else {
			locationID, panel.Location = &id, id
		}
	}
	if len(panel.Errors) > 0 {
		return s.renderBulk(c, http.StatusUnprocessableEntity, panel)
	}
	if action.Stops() && form.Get("confirm") != "1" && len(ids) > 0 {
		panel.Confirm = &rxBulkConfirm{Action: action, All: all, IDs: ids, Count: len(ids), Question: confirmQuestion(action, len(ids))}
		return s.renderBulk(c, http.StatusOK, panel)
	}

	in := service.ReceiverBulkInput{Action: action, IDs: ids, LocationID: locationID}
	if action == service.BulkSyncStatus {
		in.Online = s.onlineNow()
	}
	d := s.dev()
	res, err := d.devices.BulkReceivers(ctx, service.UserActor(currentUser(c)), in)
	var ve *service.ValidationError
	if errors.As(err, &ve) {
		panel.Errors = ve.Fields
		return s.renderBulk(c, http.StatusUnprocessableEntity, panel)
	}
	if err != nil {
		return err
	}
	if len(res.Changed) > 0 {
		switch action {
		case service.BulkMarkInactive, service.BulkReactivate:
			s.syncMonitor(ctx)
		case service.BulkReconnect:
			if ctl := s.deviceControl(); ctl != nil {
				if _, err := ctl.Reconnect(ctx, res.ChangedIDs()...); err != nil {
					s.log.WarnContext(ctx, "console: reconnect receivers", "err", err)
				}
			}
		}
	}
	d.rows.Poke()
	panel.Result = res
	s.log.InfoContext(ctx, "console: bulk action on receivers", "action", action, "changed", len(res.Changed), "refused", len(res.Refused))
	return s.renderBulk(c, http.StatusOK, panel)
}

// confirmQuestion asks before an action that stops something.
func confirmQuestion(a service.ReceiverAction, n int) string {
	noun := "receivers"
	if n == 1 {
		noun = "receiver"
	}
	switch a {
	case service.BulkMarkInactive:
		return fmt.Sprintf("Mark %d %s inactive? Micboard stops watching them at once.", n, noun)
	case service.BulkReconnect:
		return fmt.Sprintf("Reconnect %d %s? Their links drop and start again.", n, noun)
	}
	return fmt.Sprintf("%s %d %s?", a.Label(), n, noun)
}

// onlineNow is what the monitor sees right now: each receiver on the board
// and whether it answers.
func (s *Server) onlineNow() map[int64]bool {
	out := map[int64]bool{}
	if s.board == nil {
		return out
	}
	for _, t := range s.board.Tiles() {
		out[t.ReceiverID] = out[t.ReceiverID] || t.Online
	}
	return out
}

// renderBulk answers with the bulk panel for htmx, or with the whole page
// (the panel in it) for a plain form post.
func (s *Server) renderBulk(c echo.Context, status int, panel rxBulkPanel) error {
	noStore(c)
	if htmx.GetRequest(c).Enabled {
		var buf bytes.Buffer
		if err := s.RenderPartial(&buf, PartialAdminReceiversBulk, panel); err != nil {
			return err
		}
		return c.HTMLBlob(status, buf.Bytes())
	}
	p, err := s.receiversPage(c)
	if err != nil {
		return err
	}
	panel.Total = p.Total
	p.Bulk = panel
	return s.page(c, status, PageAdminReceivers, View{Title: "Receivers", Data: p})
}

// PartialAdminReceiversBulk is the bulk toolbar with its answer.
const PartialAdminReceiversBulk = "admin_receivers_bulk"
