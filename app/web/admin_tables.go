package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// Pages of the admin console's device and show tables; each must have its
// views/pages file, checked at start-up with the others.
const (
	PageAdminPerformers  = "admin_performers"
	PageAdminAssignments = "admin_assignments"
	PageAdminImport      = "admin_import"
	PageAdminLocations   = "admin_locations"
	PageAdminDiscovery   = "admin_discovery"
	PageAdminGroups      = "admin_groups"
	PageAdminKiosks      = "admin_kiosks"
)

func init() {
	requiredTemplates.pages = append(requiredTemplates.pages, PageAdminPerformers, PageAdminAssignments, PageAdminImport,
		PageAdminLocations, PageAdminKiosks, PageAdminDiscovery, PageAdminGroups)
}

// tableSize is how many rows one page of an admin table shows.
const tableSize = 50

// tableQuery is the search, page filters, sort and page of an admin table,
// as in its URL. Only whitelisted filter values are kept, so every value
// the page sees is one it offered.
type tableQuery struct {
	Q       string
	Sort    string
	Desc    bool
	Page    int
	Filters url.Values // page filters: each key one allowed value
	defSort string
}

// parseTableQuery reads a table's query from v: sorts are the keys it may
// sort by, filters the values each page filter may take.
func parseTableQuery(v url.Values, sorts map[string]string, defSort string, filters map[string][]string) tableQuery {
	t := tableQuery{Q: truncate(strings.TrimSpace(v.Get("q")), 64), Sort: v.Get("sort"), Desc: v.Get("desc") == "1",
		Filters: url.Values{}, defSort: defSort}
	if _, ok := sorts[t.Sort]; !ok {
		t.Sort = defSort
	}
	for k, allowed := range filters {
		if val := v.Get(k); val != "" && slices.Contains(allowed, val) {
			t.Filters.Set(k, val)
		}
	}
	t.Page, _ = strconv.Atoi(v.Get("page"))
	t.Page = max(t.Page, 1)
	return t
}

// Get is the value of a page filter ("" when not set).
func (t tableQuery) Get(key string) string { return t.Filters.Get(key) }

// Values is the query as URL values (the page left out when first).
func (t tableQuery) Values() url.Values {
	v := url.Values{}
	for k, vals := range t.Filters {
		v[k] = vals
	}
	if t.Q != "" {
		v.Set("q", t.Q)
	}
	if t.Sort != t.defSort {
		v.Set("sort", t.Sort)
	}
	if t.Desc {
		v.Set("desc", "1")
	}
	if t.Page > 1 {
		v.Set("page", strconv.Itoa(t.Page))
	}
	return v
}

// Encode is the query as a query string, for links and form actions.
func (t tableQuery) Encode() string { return t.Values().Encode() }

// SortBy is the query string that sorts by key (again: the other way).
func (t tableQuery) SortBy(key string) string {
	g := t
	g.Desc = t.Sort == key && !t.Desc
	g.Sort, g.Page = key, 1
	return g.Encode()
}

// AtPage is the query string of page n.
func (t tableQuery) AtPage(n int) string {
	g := t
	g.Page = n
	return g.Encode()
}

// pages is how many pages total rows fill; the page is clamped to them.
func (t *tableQuery) pages(total int) int {
	n := max((total+tableSize-1)/tableSize, 1)
	t.Page = min(t.Page, n)
	return n
}

// backTo returns to a table after an action, with the filter the form was
// posted from and a notice of what was done (a key of the page's fixed
// notices: no request text is echoed).
func (s *Server) backTo(c echo.Context, route, done string, params ...any) error {
	to, err := s.reverse(route, params...)
	if err != nil {
		return err
	}
	v := c.QueryParams()
	keep := url.Values{}
	for k, vals := range v {
		if k != "done" && k != "edit" {
			keep[k] = vals
		}
	}
	if done != "" {
		keep.Set("done", done)
	}
	if q := keep.Encode(); q != "" {
		to += "?" + q
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// fieldErrors turns a service error into messages beside form fields:
// validation errors as they are, the domain errors a form can cause on the
// field they concern. Anything else returns nil: not the user's input.
func fieldErrors(err error) map[string]string {
	var ve *service.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return ve.Fields
	case errors.Is(err, service.ErrAlreadyAssigned):
		return map[string]string{"channel": "this channel already has an active assignment: end that one first"}
	case errors.Is(err, service.ErrLocationInUse):
		return map[string]string{"delete": errorText(err)}
	}
	return nil
}

// errorText is the part of a domain error fit to show: the wrapped
// context of the service call is left out.
func errorText(err error) string {
	msg := err.Error()
	for _, domain := range []error{service.ErrLocationInUse, service.ErrAlreadyAssigned} {
		if i := strings.Index(msg, domain.Error()+": "); i >= 0 {
			return msg[i+len(domain.Error())+2:]
		}
	}
	return msg
}

// formID reads a positive id from a form field; ok is false when the
// field is empty or not a number.
func formID(c echo.Context, field string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(c.FormValue(field)), 10, 64)
	return id, err == nil && id > 0
}

// formIDs reads every value of a repeated id field; bad is how many were
// not positive numbers.
func formIDs(c echo.Context, field string) (ids []int64, bad int) {
	form, err := c.FormParams()
	if err != nil {
		return nil, 0
	}
	for _, v := range form[field] {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id < 1 {
			bad++
			continue
		}
		ids = append(ids, id)
	}
	return ids, bad
}

// queryID reads a positive id from the query string.
func queryID(c echo.Context, key string) (int64, bool) {
	id, err := strconv.ParseInt(c.QueryParam(key), 10, 64)
	return id, err == nil && id > 0
}

// sortStable sorts rows in place by less, keeping the order of equals.
func sortStable[T any](rows []T, less func(a, b T) bool) {
	slices.SortStableFunc(rows, func(a, b T) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
}
