package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// discoveryFilters are the queue's filters and the values each may take.
var discoveryFilters = map[string][]string{"state": {"new", "approved", "rejected", "duplicate", "all"}}

// discoverySorts are the columns the queue sorts by.
var discoverySorts = map[string]string{"seen": "Last seen", "host": "Address", "model": "Model"}

// taskForm is the new task form as typed.
type taskForm struct {
	Name, Kind, Target, Vendor, Interval string
	Errors                               map[string]string
}

// discoverySummary is what a review did, shown above the queue.
type discoverySummary struct {
	Action  string
	Changed int
	Refused []service.DiscoveryBulkRow
	Error   string
}

// discoveryPage is the data of /admin/discovery.
type discoveryPage struct {
	Nav     []adminNavItem
	Tasks   []*model.DiscoveryTask
	Vendors map[int64]string
	Filter  tableQuery
	Query   string
	Rows    []*model.DiscoveredDevice
	Total   int
	Pages   int
	Task    taskForm
	Summary *discoverySummary
	Notice  string
}

var discoveryNotices = map[string]string{"task": "Discovery task added; it runs at its next interval (or now with micboard discover run ID)."}

// TaskVendor is the vendor a task looks for ("" for any).
func (p discoveryPage) TaskVendor(t *model.DiscoveryTask) string {
	if t.ManufacturerID == nil {
		return ""
	}
	return p.Vendors[*t.ManufacturerID]
}

// adminDiscoveryList renders the discovery tasks and the queue of found
// devices waiting for approval, with search, state filter, sort and pages.
func (s *Server) adminDiscoveryList(c echo.Context) error {
	return s.renderDiscovery(c, http.StatusOK, taskForm{Kind: "cidr", Interval: "3600"}, nil)
}

// queueFilter reads the queue's filter; "new" is the default state.
func queueFilter(v map[string][]string) tableQuery {
	f := parseTableQuery(v, discoverySorts, "seen", discoveryFilters)
	return f
}

func (s *Server) renderDiscovery(c echo.Context, status int, task taskForm, sum *discoverySummary) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	tasks, err := s.store.DiscoveryTasks.List(ctx)
	if err != nil {
		return err
	}
	mfs, err := s.store.Manufacturers.List(ctx, false)
	if err != nil {
		return err
	}
	f := queueFilter(c.QueryParams())
	rows, err := s.queue(c, f)
	if err != nil {
		return err
	}
	p := discoveryPage{Nav: adminNav(c, RouteAdminDiscovery), Tasks: tasks, Vendors: map[int64]string{}, Filter: f, Query: f.Encode(),
		Total: len(rows), Task: task, Summary: sum, Notice: discoveryNotices[c.QueryParam("done")]}
	for _, m := range mfs {
		p.Vendors[m.ID] = m.Name
	}
	p.Pages = f.pages(len(rows))
	p.Filter.Page = f.Page
	start := (f.Page - 1) * tableSize
	p.Rows = rows[min(start, len(rows)):min(start+tableSize, len(rows))]
	noStore(c)
	return s.page(c, status, PageAdminDiscovery, View{Title: "Discovery", Data: p})
}

// queue lists the found devices matching the filter, sorted.
func (s *Server) queue(c echo.Context, f tableQuery) ([]*model.DiscoveredDevice, error) {
	state := model.DiscoveredState(f.Get("state"))
	switch state {
	case "":
		state = model.DiscoveredNew
	case "all":
		state = ""
	}
	all, err := s.store.DiscoveredDevices.List(c.Request().Context(), state)
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(f.Q)
	out := all[:0]
	for _, d := range all {
		if q == "" || strings.Contains(strings.ToLower(fmt.Sprintf("%s:%d %s %s %s %s", d.Host, d.Port, d.Model, d.Name, d.Serial, d.MAC)), q) {
			out = append(out, d)
		}
	}
	less := map[string]func(a, b *model.DiscoveredDevice) bool{
		"seen": func(a, b *model.DiscoveredDevice) bool { return a.LastSeenAt.After(b.LastSeenAt) },
		"host": func(a, b *model.DiscoveredDevice) bool {
			return a.Host < b.Host || (a.Host == b.Host && a.Port < b.Port)
		},
		"model": func(a, b *model.DiscoveredDevice) bool { return strings.ToLower(a.Model) < strings.ToLower(b.Model) },
	}[f.Sort]
	sortStable(out, func(a, b *model.DiscoveredDevice) bool {
		if f.Desc {
			return less(b, a)
		}
		return less(a, b)
	})
	return out, nil
}
