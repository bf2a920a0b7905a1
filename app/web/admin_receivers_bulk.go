package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	t, err := s.bulkTargets(c, RouteAdminReceiversBulk, service.ReceiverActions)
	if err != nil {
		return err
	}
	form, panel, ids, all, action := t.form, t.panel, t.ids, t.all, t.action
	panel.ShowLocation = true
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

// bulkTarget is what a bulk form names: the rows (ticked, or all that
// match the filter), the action, and the panel to answer with.
type bulkTarget struct {
	form   url.Values
	panel  rxBulkPanel
	ids    []int64
	all    bool
	action service.ReceiverAction
}

// bulkTargets reads a bulk form over receivers: ids (repeated) or all=1
// with the filter's fields. An id that is not a number is a message beside
// the field, in panel.Errors.
func (s *Server) bulkTargets(c echo.Context, post string, actions []service.ReceiverAction) (*bulkTarget, error) {
	ctx := c.Request().Context()
	req := c.Request()
	if err := req.ParseForm(); err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest)
	}
	t := &bulkTarget{form: req.Form}
	f := parseReceiversFilter(req.Form)
	f.Page = 1
	t.action = service.ReceiverAction(strings.TrimSpace(req.Form.Get("action")))
	t.all = req.Form.Get("all") == "1"
	to, err := s.reverse(post)
	if err != nil {
		return nil, err
	}
	query := f.Values().Encode()
	if query != "" {
		to += "?" + query
	}
	t.panel = rxBulkPanel{CSRF: csrfToken(c), Post: to, Query: query, All: t.all, Action: truncate(string(t.action), 32), Actions: actions, Errors: map[string]string{}}
	if t.panel.Locations, _, err = s.receiverChoices(ctx); err != nil {
		return nil, err
	}
	if t.panel.Total, err = f.query(s.store).Count(ctx); err != nil {
		return nil, err
	}
	if t.all {
		if t.ids, err = f.query(s.store).ListIDs(ctx); err != nil {
			return nil, err
		}
		return t, nil
	}
	for _, v := range req.Form["ids"] {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id <= 0 {
			t.panel.Errors["ids"] = fmt.Sprintf("%q is not a receiver id", truncate(v, 20))
			continue
		}
		t.ids = append(t.ids, id)
	}
	return t, nil
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
