package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/store"
)

// PageAdminReceiver is one receiver: its facts, link, channels (each with
// a rename form) and the edit form.
const PageAdminReceiver = "admin_receiver"

// receiverPage is the data of /admin/receivers/:id.
type receiverPage struct {
	Nav       []adminNavItem
	Receiver  *model.Receiver
	Row       receiverRow
	Locations []*model.Location
	Edit      receiverForm
	CanEdit   bool
	Renames   map[int64]channelRename // by channel id: the rename as typed and what the device said
	Notice    string
}

// receiverForm is the edit form as typed.
type receiverForm struct {
	Name     string
	Location int64
	Active   bool
	Errors   map[string]string
}

// channelRename is a channel's rename form as typed, with its outcome.
type channelRename struct {
	Name     string
	Error    string
	Accepted bool
}

// receiverNotices are the messages after an action, by "done" (a fixed
// list: no request text is echoed).
var receiverNotices = map[string]string{
	"saved":   "Receiver saved.",
	"renamed": "The receiver accepted the new name.",
}

// adminReceiverShow renders one receiver.
func (s *Server) adminReceiverShow(c echo.Context) error {
	return s.renderReceiver(c, http.StatusOK, nil, nil)
}

// renderReceiver draws the receiver page; form (when not nil) is the edit
// form as typed, renames the rename forms' state.
func (s *Server) renderReceiver(c echo.Context, status int, form *receiverForm, renames map[int64]channelRename) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	rx, err := s.store.Receivers.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	locs, _, err := s.receiverChoices(ctx)
	if err != nil {
		return err
	}
	p := receiverPage{
		Nav: adminNav(c, RouteAdminReceivers), Receiver: rx, Row: newReceiverRow(rx, tilesOf(s.board, []*model.Receiver{rx})),
		Locations: locs, Renames: renames, Notice: receiverNotices[c.QueryParam("done")],
	}
	if u := currentUser(c); u != nil {
		p.CanEdit = u.Role.AtLeast(routeAccess[RouteAdminReceiverSave].role())
	}
	if form != nil {
		p.Edit = *form
	} else {
		p.Edit = receiverForm{Name: rx.Name, Active: rx.Active}
		if rx.LocationID != nil {
			p.Edit.Location = *rx.LocationID
		}
	}
	if p.Renames == nil {
		p.Renames = map[int64]channelRename{}
	}
	noStore(c)
	return s.page(c, status, PageAdminReceiver, View{Title: p.Row.Name, Data: p})
}
