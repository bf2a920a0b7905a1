package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/store"
)

// adminGroupSave saves board group N (1–9) with its channels in order,
// replacing what was there. Bad input returns the form as typed with the
// message beside the field and stores nothing.
func (s *Server) adminGroupSave(c echo.Context) error {
	form := groupForm{Number: truncate(c.FormValue("number"), 4), Name: truncate(c.FormValue("name"), 200), Channels: truncate(c.FormValue("channels"), 4000)}
	ctx := c.Request().Context()
	fields := map[string]string{}
	number, err := strconv.Atoi(strings.TrimSpace(form.Number))
	if err != nil {
		fields["number"] = "choose a group number 1 to 9"
	}
	channels, err := s.store.Channels.All(ctx)
	if err != nil {
		return err
	}
	slots, msg := resolveGroupEntries(channels, form.Channels)
	if msg != "" {
		fields["channels"] = msg
	}
	if len(fields) == 0 {
		err := service.Audited(ctx, s.store, service.UserActor(currentUser(c)), func(tx *store.Store) (service.Change, error) {
			before := "(none)"
			if old, err := tx.BoardGroups.ByNumber(ctx, number); err == nil {
				before = fmt.Sprintf("%q with %d entries", old.Name, len(old.Slots))
			} else if !errors.Is(err, store.ErrNotFound) {
				return service.Change{}, err
			}
			g, err := service.NewGroups(tx).Save(ctx, number, form.Name, slots)
			if err != nil {
				return service.Change{}, err
			}
			return service.Change{Action: "group.set", ObjectKind: "board_group", ObjectIDs: []int64{g.ID},
				Summary: fmt.Sprintf("group %d: %s → %q with %d entries", g.Number, before, g.Name, len(g.Slots))}, nil
		})
		if fields = fieldErrors(err); fields == nil && err != nil {
			return err
		}
	}
	if len(fields) > 0 {
		form.Errors = fields
		return s.renderGroups(c, http.StatusUnprocessableEntity, form, false)
	}
	return s.backTo(c, RouteAdminGroups, "saved")
}
