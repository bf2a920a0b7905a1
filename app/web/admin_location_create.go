package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/store"
)

// adminLocationCreate adds a location, under a parent when one is chosen;
// bad input returns the form as typed with the message beside the field.
func (s *Server) adminLocationCreate(c echo.Context) error {
	form, parent, fields := readLocationForm(c)
	if fields == nil {
		in := service.LocationInput{Name: form.Name, ParentID: parent, Description: form.Description}
		err := service.Audited(c.Request().Context(), s.store, service.UserActor(currentUser(c)), func(tx *store.Store) (service.Change, error) {
			l, err := service.NewLocations(tx).Create(c.Request().Context(), in)
			if err != nil {
				return service.Change{}, err
			}
			return service.Change{Action: "location.create", ObjectKind: "location", ObjectIDs: []int64{l.ID},
				Summary: fmt.Sprintf("created location %q%s", l.Name, parentText(c.Request().Context(), tx, l.ParentID))}, nil
		})
		if fields = locationFieldErrors(err); fields == nil && err != nil {
			return err
		}
	}
	if fields != nil {
		form.Errors = fields
		return s.renderLocations(c, http.StatusUnprocessableEntity, form, nil, nil)
	}
	return s.backTo(c, RouteAdminLocations, "created")
}

// locationFieldErrors is fieldErrors plus an unknown parent, which the
// form names by id.
func locationFieldErrors(err error) map[string]string {
	if errors.Is(err, store.ErrNotFound) {
		return map[string]string{"parent": "there is no such location"}
	}
	return fieldErrors(err)
}

// parentText says under which location a location sits, for the audit log.
func parentText(ctx context.Context, st *store.Store, parent *int64) string {
	if parent == nil {
		return ""
	}
	if p, err := st.Locations.Get(ctx, *parent); err == nil {
		return fmt.Sprintf(" under %q", p.Name)
	}
	return fmt.Sprintf(" under location %d", *parent)
}
