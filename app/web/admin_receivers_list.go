package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// receiversPage is the data of /admin/receivers.
type receiversPage struct {
	Nav       []adminNavItem
	Filter    receiversFilter
	Query     string
	Rows      []receiverRow
	IDs       string // the rows shown, for the live stream
	Total     int
	Pages     int
	Locations []*model.Location
	Vendors   []*model.Manufacturer
	Sorts     map[string]string
	Bulk      rxBulkPanel
}

// rxBulkPanel is the bulk toolbar as typed, with what the last action said.
type rxBulkPanel struct {
	CSRF  string
	Post  string // where the form posts, the filter in its query
	Query string // the filter the actions apply to
	// ShowLocation offers the location field (set_location).
	ShowLocation bool
	Total        int // how many receivers match it
	All          bool
	Action       string
	Location     int64
	Actions      []service.ReceiverAction
	Locations    []*model.Location
	Errors       map[string]string
	Confirm      *rxBulkConfirm
	Result       *service.ReceiverBulkResult
}

// rxBulkConfirm asks before an action that stops something, saying how many.
type rxBulkConfirm struct {
	Action   service.ReceiverAction
	All      bool
	IDs      []int64
	Count    int
	Question string
}

// adminReceiversList renders the receivers table: search, filter, sort,
// pages, and the live stream that keeps its rows current.
func (s *Server) adminReceiversList(c echo.Context) error {
	p, err := s.receiversPage(c)
	if err != nil {
		return err
	}
	noStore(c)
	return s.page(c, http.StatusOK, PageAdminReceivers, View{Title: "Receivers", Data: p})
}

// PageAdminReceivers is the receivers table.
const PageAdminReceivers = "admin_receivers"

// receiversPage reads the table for the filter in the request.
func (s *Server) receiversPage(c echo.Context) (*receiversPage, error) {
	if s.store == nil {
		return nil, errStoreUnavailable
	}
	ctx := c.Request().Context()
	f := parseReceiversFilter(c.QueryParams())
	total, err := f.query(s.store).Count(ctx)
	if err != nil {
		return nil, err
	}
	pages := max((total+receiversPageSize-1)/receiversPageSize, 1)
	f.Page = min(f.Page, pages)
	rxs, err := f.query(s.store).WithChannels().WithRelations().OrderBy(f.Sort, f.Desc).
		Paginate(store.Page{Number: f.Page, Size: receiversPageSize}).List(ctx)
	if err != nil {
		return nil, err
	}
	locs, vendors, err := s.receiverChoices(ctx)
	if err != nil {
		return nil, err
	}
	p := &receiversPage{
		Nav: adminNav(c, RouteAdminReceivers), Filter: f, Query: f.Encode(), Total: total, Pages: pages,
		Locations: locs, Vendors: vendors, Sorts: receiverSorts,
	}
	tiles := tilesOf(s.board, rxs)
	ids := make([]string, 0, len(rxs))
	for _, rx := range rxs {
		p.Rows = append(p.Rows, newReceiverRow(rx, tiles))
		ids = append(ids, strconv.FormatInt(rx.ID, 10))
	}
	p.IDs = strings.Join(ids, ",")
	post, err := s.reverse(RouteAdminReceiversBulk)
	if err != nil {
		return nil, err
	}
	if q := f.Values().Encode(); q != "" {
		post += "?" + q
	}
	p.Bulk = rxBulkPanel{
		CSRF: csrfToken(c), Post: post, Query: f.Values().Encode(), Total: total, Actions: service.ReceiverActions, Locations: locs, ShowLocation: true,
	}
	return p, nil
}

// receiverChoices lists the locations and vendors the filters offer.
func (s *Server) receiverChoices(ctx context.Context) ([]*model.Location, []*model.Manufacturer, error) {
	locs, err := s.store.Locations.Query().List(ctx)
	if err != nil {
		return nil, nil, err
	}
	vendors, err := s.store.Manufacturers.List(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	return locs, vendors, nil
}
