package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/store"
)

// adminLocationUpdate renames a location or moves it under another; a
// parent inside the location itself is refused beside the parent field.
func (s *Server) adminLocationUpdate(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	old, err := s.store.Locations.Get(ctx, id)
	if err != nil {
		return err
	}
	form, parent, fields := readLocationForm(c)
	form.ID = id
	if fields == nil {
		in := service.LocationInput{Name: form.Name, ParentID: parent, Description: form.Description, Active: &old.Active}
		err := service.Audited(ctx, s.store, service.UserActor(currentUser(c)), func(tx *store.Store) (service.Change, error) {
			l, err := service.NewLocations(tx).Update(ctx, id, in)
			if err != nil {
				return service.Change{}, err
			}
			return service.Change{Action: "location.update", ObjectKind: "location", ObjectIDs: []int64{l.ID},
				Summary: fmt.Sprintf("%q%s → %q%s", old.Name, parentText(ctx, tx, old.ParentID), l.Name, parentText(ctx, tx, l.ParentID))}, nil
		})
		if fields = locationFieldErrors(err); fields == nil && err != nil {
			return err
		}
	}
	if fields != nil {
		form.Errors = fields
		return s.renderLocations(c, http.StatusUnprocessableEntity, locationForm{}, &form, nil)
	}
	return s.backTo(c, RouteAdminLocations, "updated")
}
