package web

import (
	"bytes"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/web/htmx"
)

// linkSilentAfter is how long a link that says it is connected may be
// silent before a health check calls it stale.
const linkSilentAfter = 30 * time.Second

// adminConnectionsBulk runs a health check, an error reset or a reconnect
// on the ticked links (or all that match the filter), in one transaction,
// and answers with what changed and what was left alone, and why.
func (s *Server) adminConnectionsBulk(c echo.Context) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	t, err := s.bulkTargets(c, RouteAdminConnectionsBulk, service.ConnectionActions)
	if err != nil {
		return err
	}
	panel := t.panel
	if len(panel.Errors) > 0 {
		return s.renderConnectionsBulk(c, http.StatusUnprocessableEntity, panel)
	}
	if t.action.Stops() && t.form.Get("confirm") != "1" && len(t.ids) > 0 {
		panel.Confirm = &rxBulkConfirm{Action: t.action, All: t.all, IDs: t.ids, Count: len(t.ids), Question: confirmQuestion(t.action, len(t.ids))}
		return s.renderConnectionsBulk(c, http.StatusOK, panel)
	}
	d := s.dev()
	actor := service.UserActor(currentUser(c))
	var res *service.ReceiverBulkResult
	if t.action == service.BulkReconnect {
		res, err = d.devices.BulkReceivers(ctx, actor, service.ReceiverBulkInput{Action: t.action, IDs: t.ids})
	} else {
		res, err = d.conns.BulkConnections(ctx, actor, t.action, t.ids, linkSilentAfter)
	}
	var ve *service.ValidationError
	if errors.As(err, &ve) {
		panel.Errors = ve.Fields
		return s.renderConnectionsBulk(c, http.StatusUnprocessableEntity, panel)
	}
	if err != nil {
		return err
	}
	if t.action == service.BulkReconnect && len(res.Changed) > 0 {
		if ctl := s.deviceControl(); ctl != nil {
			if _, err := ctl.Reconnect(ctx, res.ChangedIDs()...); err != nil {
				s.log.WarnContext(ctx, "console: reconnect receivers", "err", err)
			}
		}
	}
	d.rows.Poke()
	panel.Result = res
	return s.renderConnectionsBulk(c, http.StatusOK, panel)
}

// renderConnectionsBulk answers with the bulk panel for htmx, or with the
// whole connections page (the panel in it).
func (s *Server) renderConnectionsBulk(c echo.Context, status int, panel rxBulkPanel) error {
	noStore(c)
	if htmx.GetRequest(c).Enabled {
		var buf bytes.Buffer
		if err := s.RenderPartial(&buf, PartialAdminReceiversBulk, panel); err != nil {
			return err
		}
		return c.HTMLBlob(status, buf.Bytes())
	}
	p, err := s.connectionsPage(c)
	if err != nil {
		return err
	}
	panel.Total = p.Total
	p.Bulk = panel
	return s.page(c, status, PageAdminConnections, View{Title: "Connections", Data: p})
}
