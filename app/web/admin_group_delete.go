package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/store"
)

// adminGroupDelete removes board group N; its number key then shows
// nothing until a group is saved there again.
func (s *Server) adminGroupDelete(c echo.Context) error {
	number, err := strconv.Atoi(c.Param("number"))
	if err != nil || number < 1 || number > 9 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ctx := c.Request().Context()
	err = service.Audited(ctx, s.store, service.UserActor(currentUser(c)), func(tx *store.Store) (service.Change, error) {
		old, err := tx.BoardGroups.ByNumber(ctx, number)
		if err != nil {
			return service.Change{}, err
		}
		if err := tx.BoardGroups.Delete(ctx, number); err != nil {
			return service.Change{}, err
		}
		return service.Change{Action: "group.remove", ObjectKind: "board_group", ObjectIDs: []int64{old.ID},
			Summary: fmt.Sprintf("group %d %q with %d entries → (none)", number, old.Name, len(old.Slots))}, nil
	})
	if err != nil {
		return err
	}
	return s.backTo(c, RouteAdminGroups, "removed")
}
