package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/store"
)

// PageAlerts is the list of raised alerts.
const PageAlerts = "alerts"

// alertsPageSize is how many alerts one page of /alerts shows.
const alertsPageSize = 50

// alertsFilter is the alerts list's filter and page, as in its URL. An
// unknown value is ignored (the list shows everything for that field).
type alertsFilter struct {
	State    model.AlertState
	Severity model.AlertSeverity
	Kind     model.AlertKind
	Page     int
}

func parseAlertsFilter(v url.Values) alertsFilter {
	var f alertsFilter
	switch st := model.AlertState(v.Get("state")); st {
	case model.AlertOpen, model.AlertAcknowledged, model.AlertResolved:
		f.State = st
	}
	switch sev := model.AlertSeverity(v.Get("severity")); sev {
	case model.SeverityWarning, model.SeverityCritical:
		f.Severity = sev
	}
	if k := model.AlertKind(v.Get("kind")); k.Valid() {
		f.Kind = k
	}
	f.Page, _ = strconv.Atoi(v.Get("page"))
	f.Page = max(f.Page, 1)
	return f
}

func (f alertsFilter) encode(page int) string {
	v := url.Values{}
	for k, val := range map[string]string{"state": string(f.State), "severity": string(f.Severity), "kind": string(f.Kind)} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v.Encode()
}

// AtPage is the query string of page n.
func (f alertsFilter) AtPage(n int) string { return f.encode(n) }

// Query is the query string of the page shown, which acknowledging returns to.
func (f alertsFilter) Query() string { return f.encode(f.Page) }

// alertsPage is the data of /alerts.
type alertsPage struct {
	Filter alertsFilter
	Alerts []*model.Alert
	Total  int
	Pages  int
	CanAck bool
	// AckURLs: where acknowledging each open alert posts (back to this page
	// of the list afterwards).
	AckURLs map[int64]string
	Done    bool // an alert was just acknowledged
	Kinds   []model.AlertKind
	States  []model.AlertState
}

// alertsList lists raised alerts, newest first, filtered by state,
// severity and kind; operators acknowledge open ones from here.
func (s *Server) alertsList(c echo.Context) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	f := parseAlertsFilter(c.QueryParams())
	q := s.store.Alerts.Query()
	if f.State != "" {
		q = q.InState(f.State)
	}
	if f.Severity != "" {
		q = q.WithSeverity(f.Severity)
	}
	if f.Kind != "" {
		q = q.OfKind(f.Kind)
	}
	total, err := q.Count(ctx)
	if err != nil {
		return err
	}
	pages := max((total+alertsPageSize-1)/alertsPageSize, 1)
	f.Page = min(f.Page, pages)
	u := currentUser(c)
	p := alertsPage{
		Filter: f, Total: total, Pages: pages,
		CanAck: u != nil && u.Role.AtLeast(model.RoleOperator) && s.alerts != nil,
		Done:   c.QueryParam("done") == "acknowledged",
		Kinds:  model.AlertKinds,
		States: []model.AlertState{model.AlertOpen, model.AlertAcknowledged, model.AlertResolved},
	}
	if p.Alerts, err = q.Paginate(store.Page{Number: f.Page, Size: alertsPageSize}).List(ctx); err != nil {
		return err
	}
	p.AckURLs = map[int64]string{}
	for _, a := range p.Alerts {
		if a.State == model.AlertOpen {
			to := s.echo.Reverse(RouteAlertAcknowledge, a.ID)
			if q := f.Query(); q != "" {
				to += "?" + q
			}
			p.AckURLs[a.ID] = to
		}
	}
	noStore(c)
	return s.page(c, http.StatusOK, PageAlerts, View{Title: "Alerts", Data: p})
}
