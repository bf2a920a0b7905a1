package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/store"
)

// performerSorts are the columns the performers table sorts by.
var performerSorts = map[string]string{"name": "Name", "role": "Role", "assignments": "Channels", "updated": "Changed"}

// performerForm is the create or edit form as typed.
type performerForm struct {
	ID     int64 // 0: a new performer
	Name   string
	Role   string
	Notes  string
	Active bool
	Errors map[string]string
}

// performersPage is the data of /admin/performers.
type performersPage struct {
	Nav    []adminNavItem
	Filter tableQuery
	Query  string
	Rows   []*store.PerformerRow
	Total  int
	Pages  int
	Sorts  map[string]string
	Create performerForm
	Edit   *performerForm
	Notice string
	// CanLink: the user may make and revoke phone links (admins).
	CanLink bool
	// NewURL is the phone link just made for NewName: shown in this one
	// answer and never again (only its hash is stored).
	NewURL  string
	NewName string
}

var performersNotices = map[string]string{
	"created":  "Performer added.",
	"updated":  "Performer saved.",
	"unlinked": "Phone links revoked: an open phone page shows that its link was revoked.",
}

// adminPerformersList renders the performers table: search, sort, pages,
// and the edit form of the performer named by ?edit=.
func (s *Server) adminPerformersList(c echo.Context) error {
	return s.renderPerformers(c, http.StatusOK, performerForm{Active: true}, nil)
}

// renderPerformers draws the page with the create form as given and, when
// edit is set, that edit form; otherwise ?edit= opens a performer's form.
func (s *Server) renderPerformers(c echo.Context, status int, create performerForm, edit *performerForm) error {
	return s.renderPerformersWith(c, status, create, edit, nil)
}

// renderPerformersWith is renderPerformers with more to say (set fills the
// page's data before it is drawn).
func (s *Server) renderPerformersWith(c echo.Context, status int, create performerForm, edit *performerForm, set func(*performersPage)) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	f := parseTableQuery(c.QueryParams(), performerSorts, "name", nil)
	rows, total, err := s.store.Performers.Search(ctx, f.Q, f.Sort, f.Desc, store.Page{Number: f.Page, Size: tableSize})
	if err != nil {
		return err
	}
	pages := f.pages(total)
	if edit == nil {
		if id, ok := queryID(c, "edit"); ok {
			p, err := s.store.Performers.Get(ctx, id)
			if err != nil {
				return err
			}
			edit = &performerForm{ID: p.ID, Name: p.Name, Role: p.Role, Notes: p.Notes, Active: p.Active}
		}
	}
	p := performersPage{Nav: adminNav(c, RouteAdminPerformers), Filter: f, Query: f.Encode(), Rows: rows, Total: total,
		Pages: pages, Sorts: performerSorts, Create: create, Edit: edit, Notice: performersNotices[c.QueryParam("done")]}
	if u := currentUser(c); u != nil {
		p.CanLink = u.Role.AtLeast(routeAccess[RouteAdminPerformerLink].role())
	}
	if set != nil {
		set(&p)
	}
	noStore(c)
	return s.page(c, status, PageAdminPerformers, View{Title: "Performers", Data: p})
}

// performerActive reads the active checkbox of the edit form.
func performerActive(c echo.Context) bool { return c.FormValue("active") == "1" }
