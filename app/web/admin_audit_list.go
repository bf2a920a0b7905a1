package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/store"
)

// auditPageSize is how many events one page of the audit log shows.
const auditPageSize = 50

// auditTimeLayout is how a datetime-local input sends a moment.
const auditTimeLayout = "2006-01-02T15:04"

// auditFilter is the audit log's filter and page, as in its URL.
type auditFilter struct {
	Actor  string
	Action string
	From   string // as typed, auditTimeLayout in the server's time zone
	To     string
	Page   int

	from, to time.Time
}

func parseAuditFilter(v url.Values) (auditFilter, map[string]string) {
	f := auditFilter{
		Actor: truncate(strings.TrimSpace(v.Get("actor")), 100), Action: truncate(strings.TrimSpace(v.Get("action")), 100),
		From: truncate(v.Get("from"), 30), To: truncate(v.Get("to"), 30),
	}
	f.Page, _ = strconv.Atoi(v.Get("page"))
	f.Page = max(f.Page, 1)
	errs := map[string]string{}
	parse := func(field, val string) time.Time {
		if val == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(auditTimeLayout, val, time.Local)
		if err != nil {
			errs[field] = "want a date and time such as 2026-07-14T18:30"
		}
		return t
	}
	f.from, f.to = parse("from", f.From), parse("to", f.To)
	if !f.from.IsZero() && !f.to.IsZero() && !f.to.After(f.from) {
		errs["to"] = "must be after the start"
	}
	return f, errs
}

func (f auditFilter) encode(page int) string {
	v := url.Values{}
	for k, val := range map[string]string{"actor": f.Actor, "action": f.Action, "from": f.From, "to": f.To} {
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
func (f auditFilter) AtPage(n int) string { return f.encode(n) }

// auditPage is the data of /admin/audit.
type auditPage struct {
	Nav     []adminNavItem
	Filter  auditFilter
	Errors  map[string]string
	Events  []*model.AuditEvent
	Total   int
	Pages   int
	Actors  []string
	Actions []string
}

// adminAuditList lists the audit log, newest first, filtered by who, what
// and when. A bad date is shown beside its field and not applied.
func (s *Server) adminAuditList(c echo.Context) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	f, errs := parseAuditFilter(c.QueryParams())
	q := s.store.AuditEvents.Query()
	if f.Actor != "" {
		q = q.ByActor(f.Actor)
	}
	if f.Action != "" {
		q = q.WithAction(f.Action)
	}
	if errs["from"] == "" && !f.from.IsZero() {
		q = q.Since(f.from)
	}
	if errs["to"] == "" && errs["from"] == "" && !f.to.IsZero() {
		q = q.Before(f.to)
	}
	total, err := q.Count(ctx)
	if err != nil {
		return err
	}
	pages := max((total+auditPageSize-1)/auditPageSize, 1)
	f.Page = min(f.Page, pages)
	p := auditPage{Nav: adminNav(c, RouteAdminAudit), Filter: f, Errors: errs, Total: total, Pages: pages}
	if p.Events, err = q.Paginate(store.Page{Number: f.Page, Size: auditPageSize}).List(ctx); err != nil {
		return err
	}
	if p.Actors, err = s.store.AuditEvents.Actors(ctx); err != nil {
		return err
	}
	if p.Actions, err = s.store.AuditEvents.Actions(ctx); err != nil {
		return err
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	noStore(c)
	return s.page(c, status, PageAdminAudit, View{Title: "Audit log", Data: p})
}
