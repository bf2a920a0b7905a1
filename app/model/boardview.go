package model

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// BoardView is a board view as a URL query holds it (?loc=3&status=attention):
// the board's address bar and a kiosk's stored view both read it here, so a
// view the command line accepts is one the board can show.
type BoardView struct {
	Location int64  // a location and everything below it
	Group    int    // a saved group 1–9
	Vendor   string // a vendor code of the device registry, e.g. shure
	Status   string // attention, offline
	Sort     string // slot, name, severity (default: receiver order, or the group's order)
}

// Status filters of a view.
const (
	ViewAttention = "attention"
	ViewOffline   = "offline"
)

// viewKeys are the query keys a view understands.
var viewKeys = []string{"loc", "group", "vendor", "status", "sort"}

// ParseBoardView reads a view from URL values. Unknown keys are ignored
// (they may belong to a newer Micboard); bad values are an error that names
// the key and what it wants.
func ParseBoardView(v url.Values) (BoardView, error) {
	var q BoardView
	if s := v.Get("loc"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 1 {
			return q, fmt.Errorf("loc=%q is not a location id", s)
		}
		q.Location = id
	}
	if s := v.Get("group"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 9 {
			return q, fmt.Errorf("group=%q: groups are numbered 1 to 9", s)
		}
		q.Group = n
	}
	// Any vendor code of the device registry; a code no receiver has
	// simply shows nothing.
	if s := v.Get("vendor"); s == "" || vendorCode(s) {
		q.Vendor = s
	} else {
		return q, fmt.Errorf("vendor=%q: want a vendor code such as shure", s)
	}
	switch s := v.Get("status"); s {
	case "", ViewAttention, ViewOffline:
		q.Status = s
	default:
		return q, fmt.Errorf("status=%q: want attention or offline", s)
	}
	switch s := v.Get("sort"); s {
	case "", "slot", "name", "severity":
		q.Sort = s
	default:
		return q, fmt.Errorf("sort=%q: want slot, name or severity", s)
	}
	return q, nil
}

// ParseStoredView reads a view that is about to be stored (a kiosk's): it
// must parse as a query, and unlike the address bar it may not carry unknown
// keys, because a typo there ("stauts=") would silently show the whole board
// on a wall for as long as the display lives.
func ParseStoredView(query string) (BoardView, error) {
	v, err := url.ParseQuery(strings.TrimPrefix(query, "?"))
	if err != nil {
		return BoardView{}, fmt.Errorf("%q is not a query such as loc=2&status=attention", query)
	}
	var unknown []string
	for k := range v {
		if !slices.Contains(viewKeys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return BoardView{}, fmt.Errorf("unknown key %q: want %s", unknown[0], strings.Join(viewKeys, ", "))
	}
	for _, k := range viewKeys {
		if len(v[k]) > 1 {
			return BoardView{}, fmt.Errorf("%s is given %d times: give it once", k, len(v[k]))
		}
	}
	return ParseBoardView(v)
}

// Values returns the view as URL values, without defaults.
func (q BoardView) Values() url.Values {
	v := url.Values{}
	if q.Location > 0 {
		v.Set("loc", strconv.FormatInt(q.Location, 10))
	}
	if q.Group > 0 {
		v.Set("group", strconv.Itoa(q.Group))
	}
	if q.Vendor != "" {
		v.Set("vendor", q.Vendor)
	}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	if q.Sort != "" {
		v.Set("sort", q.Sort)
	}
	return v
}

// Encode is the canonical query string ("" for the whole board).
func (q BoardView) Encode() string { return q.Values().Encode() }

// vendorCode reports whether s has the shape of a manufacturer code
// (lower-case letters, digits and underscores, as the column allows).
func vendorCode(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
