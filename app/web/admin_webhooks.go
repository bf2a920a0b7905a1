package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// PageAdminWebhooks is the admin page of the alert webhooks.
const PageAdminWebhooks = "admin_webhooks"

func init() { requiredTemplates.pages = append(requiredTemplates.pages, PageAdminWebhooks) }

// webhookForm is the add form as typed; the secret is never sent back.
type webhookForm struct {
	URL    string
	Kinds  map[model.AlertKind]bool
	Errors map[string]string
}

// webhookRow is one endpoint of the table, its URL without user
// information or query (they may hold secrets).
type webhookRow struct {
	ID        int64
	Target    string
	Kinds     string
	Active    bool
	CreatedAt time.Time
}

// webhooksPage is the data of /admin/webhooks.
type webhooksPage struct {
	Nav    []adminNavItem
	Rows   []webhookRow
	Kinds  []model.AlertKind
	Create webhookForm
	Notice string
}

var webhooksNotices = map[string]string{
	"added":   "Webhook added: it gets the next alert event of the kinds it takes.",
	"removed": "Webhook removed: it gets no more alerts.",
}

// adminWebhooksList renders the webhooks alert events are POSTed to.
func (s *Server) adminWebhooksList(c echo.Context) error {
	return s.renderWebhooks(c, http.StatusOK, webhookForm{})
}

func (s *Server) renderWebhooks(c echo.Context, status int, form webhookForm) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	list, err := s.store.Webhooks.List(c.Request().Context(), false)
	if err != nil {
		return err
	}
	p := webhooksPage{Nav: adminNav(c, RouteAdminWebhooks), Kinds: model.AlertKinds, Create: form,
		Notice: webhooksNotices[c.QueryParam("done")]}
	// Active ones first, newest first within each.
	for _, active := range []bool{true, false} {
		for i := len(list) - 1; i >= 0; i-- {
			if h := list[i]; h.Active == active {
				p.Rows = append(p.Rows, webhookRow{ID: h.ID, Target: service.WebhookTarget(h.URL), Kinds: service.KindsText(h.Kinds),
					Active: h.Active, CreatedAt: h.CreatedAt})
			}
		}
	}
	noStore(c)
	return s.page(c, status, PageAdminWebhooks, View{Title: "Webhooks", Data: p})
}

// adminWebhookCreate adds a webhook; bad input returns the form with the
// reason beside the field (and the secret to type again).
func (s *Server) adminWebhookCreate(c echo.Context) error {
	form := webhookForm{URL: truncate(c.FormValue("url"), 2100), Kinds: map[model.AlertKind]bool{}}
	in := service.WebhookInput{URL: form.URL, Secret: truncate(c.FormValue("secret"), 600)}
	for _, k := range c.Request().Form["kinds"] {
		kind := model.AlertKind(k)
		form.Kinds[kind] = true
		in.Kinds = append(in.Kinds, kind)
	}
	ctx := c.Request().Context()
	_, err := service.CreateWebhook(ctx, s.store, service.UserActor(currentUser(c)), in)
	if fields := fieldErrors(err); fields != nil {
		form.Errors = fields
		return s.renderWebhooks(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	s.reloadWebhooks(ctx)
	return s.backTo(c, RouteAdminWebhooks, "added")
}

// adminWebhookRemove stops a webhook; one not active is 404.
func (s *Server) adminWebhookRemove(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := service.RemoveWebhook(ctx, s.store, service.UserActor(currentUser(c)), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return echo.NewHTTPError(http.StatusNotFound, "no active webhook with this id")
		}
		return err
	}
	s.reloadWebhooks(ctx)
	return s.backTo(c, RouteAdminWebhooks, "removed")
}

// reloadWebhooks has this instance's deliveries read the webhooks now;
// other instances read them at their next reload.
func (s *Server) reloadWebhooks(ctx context.Context) {
	if s.alerts != nil {
		s.alerts.ReloadSinks(ctx)
	}
}
