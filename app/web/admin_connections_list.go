package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// PageAdminConnections is the table of receiver links.
const PageAdminConnections = "admin_connections"

// linkStatuses are the connection states the table filters by.
var linkStatuses = []model.ConnStatus{model.ConnConnected, model.ConnConnecting, model.ConnDisconnected, model.ConnError, model.ConnStopped}

// connectionsPage is the data of /admin/connections.
type connectionsPage struct {
	Nav       []adminNavItem
	Filter    receiversFilter
	Link      string
	Links     []model.ConnStatus
	Rows      []connectionRow
	Total     int
	Pages     int
	Vendors   []*model.Manufacturer
	Stats     store.UptimeStats
	Bulk      rxBulkPanel
	Sorts     map[string]string
	MeanUp    string
	Connected int
}

// connectionRow is one receiver's link.
type connectionRow struct {
	ID        int64
	Name      string
	Address   string
	Status    string
	Uptime    string // how long connected, "" when not
	LastMsg   *time.Time
	Errors    int
	LastError string
	Retries   int
}

// adminConnectionsList renders the links of the receivers: status, last
// message, errors and uptime, with search, filters, sort and pages.
func (s *Server) adminConnectionsList(c echo.Context) error {
	p, err := s.connectionsPage(c)
	if err != nil {
		return err
	}
	noStore(c)
	return s.page(c, http.StatusOK, PageAdminConnections, View{Title: "Connections", Data: p})
}

func (s *Server) connectionsPage(c echo.Context) (*connectionsPage, error) {
	if s.store == nil {
		return nil, errStoreUnavailable
	}
	ctx := c.Request().Context()
	f := parseReceiversFilter(c.QueryParams())
	link := f.Link
	q := func() *store.ReceiverQuery { return f.query(s.store) }
	total, err := q().Count(ctx)
	if err != nil {
		return nil, err
	}
	pages := max((total+receiversPageSize-1)/receiversPageSize, 1)
	f.Page = min(f.Page, pages)
	rxs, err := q().WithRelations().OrderBy(f.Sort, f.Desc).Paginate(store.Page{Number: f.Page, Size: receiversPageSize}).List(ctx)
	if err != nil {
		return nil, err
	}
	_, vendors, err := s.receiverChoices(ctx)
	if err != nil {
		return nil, err
	}
	stats, err := s.store.Connections.Stats(ctx)
	if err != nil {
		return nil, err
	}
	values := f.Values()
	post, err := s.reverse(RouteAdminConnectionsBulk)
	if err != nil {
		return nil, err
	}
	if q := values.Encode(); q != "" {
		post += "?" + q
	}
	p := &connectionsPage{
		Nav: adminNav(c, RouteAdminConnections), Filter: f, Link: link, Links: linkStatuses, Total: total, Pages: pages,
		Vendors: vendors, Stats: stats, Sorts: receiverSorts, MeanUp: stats.MeanUptime.Round(time.Second).String(),
		Connected: stats.ByStatus[model.ConnConnected],
		Bulk:      rxBulkPanel{CSRF: csrfToken(c), Post: post, Query: values.Encode(), Total: total, Actions: service.ConnectionActions},
	}
	now := s.now()
	for _, rx := range rxs {
		r := newReceiverRow(rx, nil)
		row := connectionRow{ID: rx.ID, Name: r.Name, Address: r.Address, Status: r.Conn, LastMsg: r.LastMessage, Errors: r.Errors, LastError: r.LastError}
		if cn := rx.Connection; cn != nil {
			row.Retries = cn.ReconnectAttempts
			if cn.Status == model.ConnConnected && cn.ConnectedAt != nil {
				row.Uptime = now.Sub(*cn.ConnectedAt).Round(time.Second).String()
			}
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}
