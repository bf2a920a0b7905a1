package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// The instances page and the table it fetches again every few seconds.
const (
	PageAdminInstances          = "admin_instances"
	PartialAdminInstancesTable  = "admin_instances_table"
	instancesRefresh            = 3 * time.Second
	instanceStartedLayout       = "Jan 2 15:04:05"
	instanceStartedLayoutNoDate = "15:04:05"
)

func init() {
	requiredTemplates.pages = append(requiredTemplates.pages, PageAdminInstances)
	requiredTemplates.partials = append(requiredTemplates.partials, PartialAdminInstancesTable)
}

// adminInstancesPage is the data of /admin/instances.
type adminInstancesPage struct {
	Nav   []adminNavItem
	Table adminInstancesTable
}

// adminInstancesTable is the data of the table partial, which polls for
// its own next version.
type adminInstancesTable struct {
	Rows       []adminInstanceRow
	Live       int
	Watched    int
	Alone      bool
	RefreshSec int
}

// adminInstanceRow is one instance with its times written out.
type adminInstanceRow struct {
	instanceRow
	Heartbeat    string // "2 s ago", by the database's clock
	HeartbeatISO string
	Started      string
	StartedISO   string
}

// adminInstancesList shows every instance sharing the database: whether
// it lives, what it watches and how many browsers follow it.
func (s *Server) adminInstancesList(c echo.Context) error {
	t, err := s.adminInstancesTable(c)
	if err != nil {
		return err
	}
	noStore(c)
	return s.page(c, http.StatusOK, PageAdminInstances, View{Title: "Instances",
		Data: adminInstancesPage{Nav: adminNav(c, RouteAdminInstances), Table: t}})
}

// adminInstancesTableShow answers the page's poll with the table alone.
func (s *Server) adminInstancesTableShow(c echo.Context) error {
	t, err := s.adminInstancesTable(c)
	if err != nil {
		return err
	}
	noStore(c)
	return s.partial(c, http.StatusOK, PartialAdminInstancesTable, t)
}

func (s *Server) adminInstancesTable(c echo.Context) (adminInstancesTable, error) {
	v, err := s.instances(c.Request().Context())
	if err != nil {
		return adminInstancesTable{}, err
	}
	t := adminInstancesTable{Live: v.Live, Watched: v.Watched, Alone: v.Alone, RefreshSec: int(instancesRefresh / time.Second),
		Rows: make([]adminInstanceRow, len(v.Rows))}
	now := time.Now()
	for i, r := range v.Rows {
		started := r.StartedAt.Local()
		layout := instanceStartedLayout
		if y, m, d := now.Date(); started.Year() == y && started.Month() == m && started.Day() == d {
			layout = instanceStartedLayoutNoDate
		}
		t.Rows[i] = adminInstanceRow{instanceRow: r, Heartbeat: ageText(r.HeartbeatAge),
			HeartbeatISO: r.HeartbeatAt.UTC().Format(time.RFC3339), Started: started.Format(layout),
			StartedISO: r.StartedAt.UTC().Format(time.RFC3339)}
	}
	return t, nil
}
