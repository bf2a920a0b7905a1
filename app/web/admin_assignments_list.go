package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// assignmentSorts are the columns the assignments table sorts by.
var assignmentSorts = map[string]string{"performer": "Performer", "channel": "Channel", "priority": "Priority", "updated": "Changed"}

// assignmentFilters are the table's filters and the values each may take.
var assignmentFilters = map[string][]string{
	"state":    {"active", "ended"},
	"priority": {"low", "normal", "high", "critical"},
	"alerts":   {"on", "off"},
}

// assignmentQuery turns the table's filter into a store query.
func assignmentQuery(st *store.Store, f tableQuery) *store.AssignmentQuery {
	q := st.Assignments.Query()
	if f.Q != "" {
		q = q.Search(f.Q)
	}
	switch f.Get("state") {
	case "active":
		q = q.Active()
	case "ended":
		q = q.Ended()
	}
	if p := f.Get("priority"); p != "" {
		q = q.WithPriority(model.Priority(p))
	}
	switch f.Get("alerts") {
	case "on":
		q = q.WithAlerts()
	case "off":
		q = q.WithoutAlerts()
	}
	return q
}

// assignmentForm is the create or edit form as typed.
type assignmentForm struct {
	ID          int64 // 0: a new assignment
	PerformerID string
	ChannelID   string
	Priority    string
	Notes       string
	Alerts      model.AlertFlags
	Limits      map[string]string // alert limits as typed, by name; absent: the default
	Errors      map[string]string
}

// alertChoice is one alert checkbox of the form.
type alertChoice struct {
	Field, Label string
	On           bool
}

// AlertChoices lists the form's alert checkboxes with their state.
func (f assignmentForm) AlertChoices() []alertChoice {
	return []alertChoice{
		{"alert_battery_low", "Battery low", f.Alerts.BatteryLow},
		{"alert_signal_loss", "Signal loss", f.Alerts.SignalLoss},
		{"alert_audio_low", "Audio low", f.Alerts.AudioLow},
		{"alert_device_offline", "Device offline", f.Alerts.DeviceOffline},
	}
}

// readAssignmentForm reads the fields of the create and edit forms.
func readAssignmentForm(c echo.Context) assignmentForm {
	return assignmentForm{
		PerformerID: truncate(c.FormValue("performer"), 20), ChannelID: truncate(c.FormValue("channel"), 20),
		Priority: truncate(c.FormValue("priority"), 20), Notes: truncate(c.FormValue("notes"), 2100),
		Alerts: model.AlertFlags{
			BatteryLow: c.FormValue("alert_battery_low") == "1", SignalLoss: c.FormValue("alert_signal_loss") == "1",
			AudioLow: c.FormValue("alert_audio_low") == "1", DeviceOffline: c.FormValue("alert_device_offline") == "1",
		},
		Limits: readLimits(c),
	}
}

// option is one choice of a select.
type option struct {
	Value string
	Label string
}

// bulkSummary is what a bulk action did, shown above the table.
type bulkSummary struct {
	Action  string
	Changed int
	Refused []service.AssignmentBulkRow
	Error   string
}

// bulkConfirm asks before a bulk action that stops something.
type bulkConfirm struct {
	Action string
	Count  int
	IDs    []int64
	All    bool
}

// assignmentsPage is the data of /admin/assignments.
type assignmentsPage struct {
	Nav        []adminNavItem
	Filter     tableQuery
	Query      string
	Rows       []*model.Assignment
	Total      int
	Pages      int
	Sorts      map[string]string
	Create     assignmentForm
	Edit       *assignmentForm
	Performers []option
	Channels   []option
	Priorities []string
	// LimitDefaults say what a blank alert limit means, by name.
	LimitDefaults map[string]string
	Bulk          *bulkSummary
	Confirm       *bulkConfirm
	Notice        string
}

var assignmentsNotices = map[string]string{"created": "Assignment added.", "updated": "Assignment saved.", "imported": "Import stored."}

// assignmentsView is what a render adds to the table: forms as typed and
// the answer of a bulk action.
type assignmentsView struct {
	create  *assignmentForm
	edit    *assignmentForm
	bulk    *bulkSummary
	confirm *bulkConfirm
}

// adminAssignmentsList renders the assignments table: search, filters,
// sort, pages, the create form and the edit form of ?edit=.
func (s *Server) adminAssignmentsList(c echo.Context) error {
	return s.renderAssignments(c, http.StatusOK, assignmentsView{})
}

func newAssignmentForm() assignmentForm {
	return assignmentForm{Priority: string(model.PriorityNormal), Alerts: model.DefaultAlerts}
}

// renderAssignments draws the assignments page.
func (s *Server) renderAssignments(c echo.Context, status int, v assignmentsView) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	f := parseTableQuery(c.QueryParams(), assignmentSorts, "performer", assignmentFilters)
	total, err := assignmentQuery(s.store, f).Count(ctx)
	if err != nil {
		return err
	}
	pages := f.pages(total)
	rows, err := assignmentQuery(s.store, f).ListPage(ctx, f.Sort, f.Desc, store.Page{Number: f.Page, Size: tableSize})
	if err != nil {
		return err
	}
	p := assignmentsPage{Nav: adminNav(c, RouteAdminAssignments), Filter: f, Query: f.Encode(), Rows: rows, Total: total,
		Pages: pages, Sorts: assignmentSorts, Create: newAssignmentForm(), Edit: v.edit, Bulk: v.bulk, Confirm: v.confirm,
		Priorities: []string{"low", "normal", "high", "critical"}, Notice: assignmentsNotices[c.QueryParam("done")],
		LimitDefaults: s.limitDefaults()}
	if v.create != nil {
		p.Create = *v.create
	}
	if p.Edit == nil {
		if id, ok := queryID(c, "edit"); ok {
			a, err := s.store.Assignments.Get(ctx, id)
			if err != nil {
				return err
			}
			p.Edit = &assignmentForm{ID: a.ID, PerformerID: fmt.Sprint(a.PerformerID), ChannelID: fmt.Sprint(a.ChannelID),
				Priority: string(a.Priority), Notes: a.Notes, Alerts: a.AlertFlags, Limits: a.AlertLimits.Typed()}
		}
	}
	performers, err := s.store.Performers.List(ctx, true)
	if err != nil {
		return err
	}
	for _, pf := range performers {
		p.Performers = append(p.Performers, option{fmt.Sprint(pf.ID), pf.Name})
	}
	channels, err := s.store.Channels.All(ctx)
	if err != nil {
		return err
	}
	for _, ch := range channels {
		label := ch.DisplayName()
		if ch.Receiver != nil {
			label = fmt.Sprintf("%s — %s ch %d", label, ch.Receiver.Name, ch.Number)
		}
		p.Channels = append(p.Channels, option{fmt.Sprint(ch.ID), label})
	}
	noStore(c)
	return s.page(c, status, PageAdminAssignments, View{Title: "Assignments", Data: p})
}
