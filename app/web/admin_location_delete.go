package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/store"
)

// adminLocationDelete removes an empty location. One that still holds
// receivers or rooms is refused with a message on its row saying what to
// move first, and nothing changes.
func (s *Server) adminLocationDelete(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = service.Audited(ctx, s.store, service.UserActor(currentUser(c)), func(tx *store.Store) (service.Change, error) {
		l, err := tx.Locations.Get(ctx, id)
		if err != nil {
			return service.Change{}, err
		}
		if err := service.NewLocations(tx).Delete(ctx, id); err != nil {
			return service.Change{}, err
		}
		return service.Change{Action: "location.delete", ObjectKind: "location", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("deleted location %q", l.Name)}, nil
	})
	if errors.Is(err, service.ErrLocationInUse) {
		return s.renderLocations(c, http.StatusConflict, locationForm{}, nil, &locationRefusal{id: id, msg: errorText(err)})
	}
	if err != nil {
		return err
	}
	return s.backTo(c, RouteAdminLocations, "deleted")
}
