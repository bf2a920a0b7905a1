package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// groupForm is the save form as typed.
type groupForm struct {
	Number   string
	Name     string
	Channels string // slot ids, #channel ids and - for spacers, space separated
	Errors   map[string]string
}

// groupRow is one saved group with its entries in words.
type groupRow struct {
	Group   *model.BoardGroup
	Entries string // "HH01 Vox, HH02 Keys, –, BP01 Drums"
	Refs    string // the same as the form takes it: "HH01 HH02 - BP01"
}

// groupsPage is the data of /admin/groups.
type groupsPage struct {
	Nav     []adminNavItem
	Rows    []groupRow
	Numbers []string
	Form    groupForm
	Notice  string
}

var groupsNotices = map[string]string{"saved": "Group saved.", "removed": "Group removed."}

// adminGroupsList renders the saved board groups 1–9 (number keys on the
// board) and the form that saves one.
func (s *Server) adminGroupsList(c echo.Context) error {
	form := groupForm{Number: "1"}
	if n := c.QueryParam("edit"); n != "" {
		form.Number = truncate(n, 2)
	}
	return s.renderGroups(c, http.StatusOK, form, c.QueryParam("edit") != "")
}

func (s *Server) renderGroups(c echo.Context, status int, form groupForm, fillFromStored bool) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	groups, err := s.store.BoardGroups.List(ctx)
	if err != nil {
		return err
	}
	channels, err := s.store.Channels.All(ctx)
	if err != nil {
		return err
	}
	names, refs := map[int64]string{}, map[int64]string{}
	for _, ch := range channels {
		names[ch.ID] = ch.DisplayName()
		refs[ch.ID] = fmt.Sprintf("#%d", ch.ID)
		if slot, _ := model.SplitSlotName(ch.DisplayName()); slot != "" {
			refs[ch.ID] = slot
		}
	}
	p := groupsPage{Nav: adminNav(c, RouteAdminGroups), Form: form, Notice: groupsNotices[c.QueryParam("done")]}
	for n := 1; n <= 9; n++ {
		p.Numbers = append(p.Numbers, strconv.Itoa(n))
	}
	for _, g := range groups {
		var words, rs []string
		for _, id := range g.Slots {
			switch {
			case id == service.Spacer:
				words, rs = append(words, "–"), append(rs, "-")
			case names[id] == "":
				words, rs = append(words, fmt.Sprintf("channel %d (gone)", id)), append(rs, fmt.Sprintf("#%d", id))
			default:
				words, rs = append(words, names[id]), append(rs, refs[id])
			}
		}
		row := groupRow{Group: g, Entries: strings.Join(words, ", "), Refs: strings.Join(rs, " ")}
		p.Rows = append(p.Rows, row)
		if fillFromStored && form.Number == strconv.Itoa(g.Number) {
			p.Form.Name, p.Form.Channels = g.Name, row.Refs
		}
	}
	noStore(c)
	return s.page(c, status, PageAdminGroups, View{Title: "Groups", Data: p})
}

// resolveGroupEntries turns slot ids (HH01), channel ids (#12) and - into
// the channel ids of a group, or a message for the channels field.
func resolveGroupEntries(channels []*model.Channel, text string) ([]int64, string) {
	bySlot := map[string][]int64{}
	for _, ch := range channels {
		if slot, _ := model.SplitSlotName(ch.DisplayName()); slot != "" {
			bySlot[strings.ToUpper(slot)] = append(bySlot[strings.ToUpper(slot)], ch.ID)
		}
	}
	var out []int64
	for _, ref := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == '\r' || r == '\t' }) {
		switch {
		case ref == "-":
			out = append(out, service.Spacer)
		case strings.HasPrefix(ref, "#"):
			id, err := strconv.ParseInt(ref[1:], 10, 64)
			if err != nil || id < 1 {
				return nil, fmt.Sprintf("%s is not a channel id (#12)", quoteInput(ref))
			}
			out = append(out, id)
		default:
			switch ids := bySlot[strings.ToUpper(ref)]; len(ids) {
			case 0:
				return nil, fmt.Sprintf("no channel has the slot %s", quoteInput(ref))
			case 1:
				out = append(out, ids[0])
			default:
				return nil, fmt.Sprintf("slot %s is on %d channels: name one by id (#%d)", quoteInput(ref), len(ids), ids[0])
			}
		}
	}
	return out, ""
}
