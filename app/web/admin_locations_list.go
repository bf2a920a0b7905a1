package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
)

// locationForm is the create or edit form as typed.
type locationForm struct {
	ID          int64 // 0: a new location
	Name        string
	ParentID    string
	Description string
	Errors      map[string]string
}

// locationNode is one location of the tree, with its depth for indenting.
type locationNode struct {
	Location *model.Location
	Depth    int
	Indent   string // one mark per level above it
	Path     string // "Arena › Stage left"
	Error    string // why deleting it was refused
}

// locationsPage is the data of /admin/locations.
type locationsPage struct {
	Nav     []adminNavItem
	Q       string
	Tree    []locationNode
	Parents []option
	Create  locationForm
	Edit    *locationForm
	Notice  string
}

var locationsNotices = map[string]string{"created": "Location added.", "updated": "Location saved.", "deleted": "Location deleted."}

// adminLocationsList renders the locations as a tree with the receivers
// in each (a building counts its rooms').
func (s *Server) adminLocationsList(c echo.Context) error {
	return s.renderLocations(c, http.StatusOK, locationForm{}, nil, nil)
}

// locationRefusal is a delete refused on one row of the tree.
type locationRefusal struct {
	id  int64
	msg string
}

func (s *Server) renderLocations(c echo.Context, status int, create locationForm, edit *locationForm, refused *locationRefusal) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	all, err := s.store.Locations.Query().WithDeviceCounts().List(ctx)
	if err != nil {
		return err
	}
	q := truncate(strings.TrimSpace(c.QueryParam("q")), 64)
	p := locationsPage{Nav: adminNav(c, RouteAdminLocations), Q: q, Create: create, Edit: edit, Notice: locationsNotices[c.QueryParam("done")]}
	children := map[int64][]*model.Location{}
	byID := map[int64]*model.Location{}
	var roots []*model.Location
	for _, l := range all {
		byID[l.ID] = l
	}
	for _, l := range all {
		if l.ParentID != nil && byID[*l.ParentID] != nil {
			children[*l.ParentID] = append(children[*l.ParentID], l)
		} else {
			roots = append(roots, l)
		}
	}
	var walk func(l *model.Location, depth int, path string)
	walk = func(l *model.Location, depth int, path string) {
		if path != "" {
			path += " › "
		}
		path += l.Name
		if q == "" || strings.Contains(strings.ToLower(path), strings.ToLower(q)) {
			n := locationNode{Location: l, Depth: depth, Indent: strings.Repeat("└ ", min(depth, 1)) + strings.Repeat("· ", max(depth-1, 0)), Path: path}
			if refused != nil && refused.id == l.ID {
				n.Error = refused.msg
			}
			p.Tree = append(p.Tree, n)
		}
		p.Parents = append(p.Parents, option{fmt.Sprint(l.ID), path})
		if depth < 32 { // the schema forbids loops; this only bounds a bad row
			for _, ch := range children[l.ID] {
				walk(ch, depth+1, path)
			}
		}
	}
	for _, l := range roots {
		walk(l, 0, "")
	}
	if p.Edit == nil {
		if id, ok := queryID(c, "edit"); ok {
			l := byID[id]
			if l == nil {
				return echo.NewHTTPError(http.StatusNotFound)
			}
			p.Edit = &locationForm{ID: l.ID, Name: l.Name, Description: l.Description}
			if l.ParentID != nil {
				p.Edit.ParentID = fmt.Sprint(*l.ParentID)
			}
		}
	}
	noStore(c)
	return s.page(c, status, PageAdminLocations, View{Title: "Locations", Data: p})
}

// readLocationForm reads the create and edit forms; a parent that is not
// a number is a field message.
func readLocationForm(c echo.Context) (locationForm, *int64, map[string]string) {
	f := locationForm{Name: truncate(c.FormValue("name"), 200), ParentID: truncate(c.FormValue("parent"), 20), Description: truncate(c.FormValue("description"), 2100)}
	if strings.TrimSpace(f.ParentID) == "" {
		return f, nil, nil
	}
	id, ok := formID(c, "parent")
	if !ok {
		return f, nil, map[string]string{"parent": "choose a location from the list"}
	}
	return f, &id, nil
}
