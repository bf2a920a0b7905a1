package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"micboard/app/device"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/store"
)

// boardQuery is a board view as the URL holds it, so a view can be shared
// or bookmarked: /?loc=3&status=attention&sort=slot.
type boardQuery struct {
	Location int64  // a location and everything below it
	Group    int    // a saved group 1–9
	Vendor   string // a vendor code of the device registry, e.g. shure
	Status   string // attention, offline
	Sort     string // slot, name (default: receiver order, or the group's order)
}

// Status filters.
const (
	filterAttention = model.ViewAttention
	filterOffline   = model.ViewOffline
)

// badQuery is a view URL Micboard cannot read; it answers 400 with why.
type badQuery struct{ msg string }

func (e badQuery) Error() string   { return e.msg }
func (e badQuery) HTTPStatus() int { return http.StatusBadRequest }

// parseBoardQuery reads a view from URL values with the one parser the
// command line also uses (model.ParseBoardView); bad values answer 400.
func parseBoardQuery(v url.Values) (boardQuery, error) {
	bv, err := model.ParseBoardView(v)
	if err != nil {
		return boardQuery{}, badQuery{err.Error()}
	}
	if _, ok := device.LookupVendor(bv.Vendor); bv.Vendor != "" && !ok {
		return boardQuery{}, badQuery{fmt.Sprintf("vendor=%q: want one of %s", bv.Vendor, strings.Join(device.Vendors(), ", "))}
	}
	return boardQuery(bv), nil
}

// Values returns the view as URL values, without defaults.
func (q boardQuery) Values() url.Values { return model.BoardView(q).Values() }

// Encode is the canonical query string ("" for the whole board).
func (q boardQuery) Encode() string { return q.Values().Encode() }

// With returns the view with one key changed, for the filter links.
func (q boardQuery) With(key, value string) string {
	v := q.Values()
	if value == "" {
		v.Del(key)
	} else {
		v.Set(key, value)
	}
	if key == "group" {
		v.Del("sort") // a group brings its own order
	}
	if enc := v.Encode(); enc != "" {
		return "?" + enc
	}
	return "?"
}

// viewFilter decides which tiles a view shows and in which order.
type viewFilter struct {
	q     boardQuery
	locs  map[int64]bool // the location and its descendants
	group *model.BoardGroup
	pos   map[int64]int  // channel id → index in the group
	only  map[int64]bool // a performer's channels ("my packs"); nil: no such limit
}

// resolveView loads what a view needs from the database (or its last good
// answer, lastgood.go): the location subtree and the group.
func (s *Server) resolveView(ctx context.Context, q boardQuery) (*viewFilter, error) {
	f := &viewFilter{q: q}
	if q.Location > 0 {
		locs, err := s.allLocations(ctx)
		if err != nil {
			return nil, err
		}
		f.locs = subtree(locs, q.Location)
		if len(f.locs) == 0 {
			return nil, badQuery{fmt.Sprintf("there is no location %d", q.Location)}
		}
	}
	if q.Group > 0 {
		g, err := s.boardGroup(ctx, q.Group)
		if errors.Is(err, store.ErrNotFound) {
			return nil, badQuery{fmt.Sprintf("group %d is not set up", q.Group)}
		}
		if err != nil {
			return nil, err
		}
		f.group, f.pos = g, map[int64]int{}
		for i, id := range g.Slots {
			if id != 0 {
				if _, dup := f.pos[id]; !dup {
					f.pos[id] = i
				}
			}
		}
	}
	return f, nil
}

// subtree returns root and every location below it; empty when root is
// unknown.
func subtree(locs []*model.Location, root int64) map[int64]bool {
	children := map[int64][]int64{}
	known := false
	for _, l := range locs {
		if l.ID == root {
			known = true
		}
		if l.ParentID != nil {
			children[*l.ParentID] = append(children[*l.ParentID], l.ID)
		}
	}
	out := map[int64]bool{}
	if !known {
		return out
	}
	stack := []int64{root}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if out[id] {
			continue // a loop in the tree
		}
		out[id] = true
		stack = append(stack, children[id]...)
	}
	return out
}

// match reports whether the view shows a tile.
func (f *viewFilter) match(t *live.Tile) bool {
	if f.only != nil && !f.only[t.ChannelID] {
		return false
	}
	if f.locs != nil && (t.LocationID == nil || !f.locs[*t.LocationID]) {
		return false
	}
	if f.group != nil {
		if _, ok := f.pos[t.ChannelID]; !ok {
			return false
		}
	}
	if f.q.Vendor != "" && t.Vendor != f.q.Vendor {
		return false
	}
	switch f.q.Status {
	case filterAttention:
		return t.NeedsAttention()
	case filterOffline:
		return t.Status == model.StatusRxOffline
	}
	return true
}

// boardSlot is one place in the grid: a rendered tile, or a blank spacer of
// a group.
type boardSlot struct {
	Spacer bool
	HTML   template.HTML
}

// arrange filters and orders tiles. A group keeps its order and spacers
// unless another sort is asked for; filters then drop the spacers too.
func (f *viewFilter) arrange(tiles []live.Tile) []*live.Tile {
	out := make([]*live.Tile, 0, len(tiles))
	for i := range tiles {
		if f.match(&tiles[i]) {
			out = append(out, &tiles[i])
		}
	}
	switch {
	case f.q.Sort == "slot":
		sort.SliceStable(out, func(i, j int) bool { return slotLess(out[i], out[j]) })
	case f.q.Sort == "severity":
		// Worst first; within a rank, by slot, so the order only moves when
		// a channel's severity does.
		sort.SliceStable(out, func(i, j int) bool {
			if a, b := out[i].Status.Severity(), out[j].Status.Severity(); a != b {
				return a < b
			}
			return slotLess(out[i], out[j])
		})
	case f.q.Sort == "name":
		sort.SliceStable(out, func(i, j int) bool {
			return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
		})
	case f.group != nil:
		sort.SliceStable(out, func(i, j int) bool { return f.pos[out[i].ChannelID] < f.pos[out[j].ChannelID] })
	}
	return out
}

// sortKey is what the view's order reads of a tile: when it changes, the
// tile may move.
func (f *viewFilter) sortKey(t *live.Tile) string {
	switch f.q.Sort {
	case "severity":
		return strconv.Itoa(t.Status.Severity())
	case "slot":
		return t.Slot + "\x00" + strings.ToLower(t.Name)
	case "name":
		return strings.ToLower(t.Name)
	}
	return ""
}

// slotLess orders by slot id (tiles without one last), then name.
func slotLess(a, b *live.Tile) bool {
	if (a.Slot == "") != (b.Slot == "") {
		return a.Slot != ""
	}
	if a.Slot != b.Slot {
		return a.Slot < b.Slot
	}
	return strings.ToLower(a.Name) < strings.ToLower(b.Name)
}

// spacersKept reports whether the grid shows the group's blank spacers:
// only in the group's own order with no filter narrowing it.
func (f *viewFilter) spacersKept() bool {
	return f.group != nil && f.q.Sort == "" && f.q.Status == "" && f.q.Vendor == "" && f.locs == nil
}

// slots lays the arranged tiles out, putting the group's spacers back.
func (f *viewFilter) slots(tiles []*live.Tile, view func(*live.Tile) template.HTML) []boardSlot {
	if !f.spacersKept() {
		out := make([]boardSlot, len(tiles))
		for i, t := range tiles {
			out[i] = boardSlot{HTML: view(t)}
		}
		return out
	}
	byID := make(map[int64]*live.Tile, len(tiles))
	for _, t := range tiles {
		byID[t.ChannelID] = t
	}
	out := make([]boardSlot, 0, len(f.group.Slots))
	for _, id := range f.group.Slots {
		if id == 0 {
			out = append(out, boardSlot{Spacer: true})
		} else if t, ok := byID[id]; ok {
			out = append(out, boardSlot{HTML: view(t)})
		}
	}
	return out
}
