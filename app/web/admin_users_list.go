package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/store"
)

// usersPageSize is how many users one page of the table shows.
const usersPageSize = 25

// usersFilter is the search, filter, sort and page of the users table, as
// in its URL.
type usersFilter struct {
	Q     string
	Role  string // "", viewer, operator, admin
	State string // "", active, disabled
	Sort  string // username, role, created_at, last_login_at
	Desc  bool
	Page  int
}

func parseUsersFilter(v url.Values) usersFilter {
	f := usersFilter{Q: truncate(strings.TrimSpace(v.Get("q")), 64), Sort: v.Get("sort"), Desc: v.Get("desc") == "1"}
	if r := model.Role(v.Get("role")); r.Valid() {
		f.Role = string(r)
	}
	if s := v.Get("state"); s == "active" || s == "disabled" {
		f.State = s
	}
	if _, ok := userSorts[f.Sort]; !ok {
		f.Sort = "username"
	}
	f.Page, _ = strconv.Atoi(v.Get("page"))
	f.Page = max(f.Page, 1)
	return f
}

// userSorts are the columns the table sorts by, with their headings.
var userSorts = map[string]string{"username": "Username", "role": "Role", "created_at": "Created", "last_login_at": "Last login"}

// Encode is the filter as a query string, for links and form actions.
func (f usersFilter) Encode() string {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", f.Q)
	set("role", f.Role)
	set("state", f.State)
	if f.Sort != "username" {
		set("sort", f.Sort)
	}
	if f.Desc {
		v.Set("desc", "1")
	}
	if f.Page > 1 {
		v.Set("page", strconv.Itoa(f.Page))
	}
	return v.Encode()
}

// SortBy is the query string that sorts by key (again: the other way).
func (f usersFilter) SortBy(key string) string {
	g := f
	g.Desc = f.Sort == key && !f.Desc
	g.Sort, g.Page = key, 1
	return g.Encode()
}

// AtPage is the query string of page n.
func (f usersFilter) AtPage(n int) string {
	g := f
	g.Page = n
	return g.Encode()
}

// userForm is the create form as typed (never the password).
type userForm struct {
	Username string
	Role     string
	Errors   map[string]string
}

// userRow is one user of the table, with the messages of a failed action
// on that row beside its fields.
type userRow struct {
	User   *model.User
	Self   bool
	Role   string // the role shown selected (as typed after a failed change)
	Errors map[string]string
}

// usersPage is the data of /admin/users.
type usersPage struct {
	Nav    []adminNavItem
	Filter usersFilter
	Query  string // the filter as a query string, kept across actions
	Rows   []userRow
	Total  int
	Pages  int
	Create userForm
	Roles  []model.Role
	Sorts  map[string]string
	Notice string
}

// usersNotices are the messages shown after an action, by the "done"
// query parameter (a fixed list: no request text is echoed).
var usersNotices = map[string]string{
	"created":  "User created.",
	"role":     "Role changed.",
	"disabled": "User disabled; their open sessions have ended.",
	"enabled":  "User enabled.",
	"password": "Password changed; their open sessions have ended.",
}

// adminUsersList renders the users table: search, filter, sort and pages.
func (s *Server) adminUsersList(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, userForm{Role: string(model.RoleViewer)}, nil)
}

// rowFailure is a failed action on one row: its messages and typed role.
type rowFailure struct {
	id     int64
	role   string
	errors map[string]string
}

// renderUsers draws the users page for the filter in the URL, with the
// create form as given and the messages of a failed row action.
func (s *Server) renderUsers(c echo.Context, status int, form userForm, failed *rowFailure) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	f := parseUsersFilter(c.QueryParams())
	q := s.store.Users.Query()
	if f.Q != "" {
		q = q.Search(f.Q)
	}
	if f.Role != "" {
		q = q.WithRole(model.Role(f.Role))
	}
	switch f.State {
	case "active":
		q = q.Active()
	case "disabled":
		q = q.Disabled()
	}
	total, err := q.Count(ctx)
	if err != nil {
		return err
	}
	pages := max((total+usersPageSize-1)/usersPageSize, 1)
	f.Page = min(f.Page, pages)
	list, err := q.OrderBy(f.Sort, f.Desc).Paginate(store.Page{Number: f.Page, Size: usersPageSize}).List(ctx)
	if err != nil {
		return err
	}
	me := currentUser(c)
	p := usersPage{
		Nav: adminNav(c, RouteAdminUsers), Filter: f, Query: f.Encode(), Total: total, Pages: pages,
		Create: form, Roles: model.Roles, Sorts: userSorts, Notice: usersNotices[c.QueryParam("done")],
	}
	for _, u := range list {
		row := userRow{User: u, Self: me != nil && me.ID == u.ID, Role: string(u.Role)}
		if failed != nil && failed.id == u.ID {
			row.Errors = failed.errors
			if failed.role != "" {
				row.Role = failed.role
			}
		}
		p.Rows = append(p.Rows, row)
	}
	noStore(c)
	return s.page(c, status, PageAdminUsers, View{Title: "Users", Data: p})
}

// backToUsers returns to the users table with the filter the form was
// posted from and a notice of what was done.
func (s *Server) backToUsers(c echo.Context, done string) error {
	to, err := s.reverse(RouteAdminUsers)
	if err != nil {
		return err
	}
	f := parseUsersFilter(c.QueryParams()).Encode()
	v := url.Values{"done": {done}}.Encode()
	if f != "" {
		v = f + "&" + v
	}
	return c.Redirect(http.StatusSeeOther, to+"?"+v)
}
