package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// adminKioskRevoke revokes one display: from its next request it shows
// that it was revoked. Revoking one already revoked is 404.
func (s *Server) adminKioskRevoke(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = service.Audited(ctx, s.store, service.UserActor(currentUser(c)), func(tx *store.Store) (service.Change, error) {
		var k *model.Kiosk
		list, err := tx.Kiosks.List(ctx)
		if err != nil {
			return service.Change{}, err
		}
		for _, it := range list {
			if it.ID == id && it.RevokedAt == nil {
				k = it
			}
		}
		if k == nil {
			return service.Change{}, echo.NewHTTPError(http.StatusNotFound)
		}
		if err := tx.Kiosks.Revoke(ctx, id, s.now()); err != nil {
			return service.Change{}, err
		}
		return service.Change{Action: "kiosk.revoke", ObjectKind: "kiosk", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("revoked display %q", k.Name)}, nil
	})
	if err != nil {
		return err
	}
	return s.backTo(c, RouteAdminKiosks, "revoked")
}
