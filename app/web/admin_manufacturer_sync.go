package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/store"
)

// adminManufacturerSync syncs the status of every watched receiver of one
// vendor from what the monitor sees now, in one transaction, and shows
// what changed and what was refused and why.
func (s *Server) adminManufacturerSync(c echo.Context) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	m, err := s.store.Manufacturers.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	ids, err := s.store.Receivers.Query().ByManufacturer(m.Code).ListIDs(ctx)
	if err != nil {
		return err
	}
	res := &service.ReceiverBulkResult{Action: service.BulkSyncStatus}
	if len(ids) > 0 {
		in := service.ReceiverBulkInput{Action: service.BulkSyncStatus, IDs: ids, Online: s.onlineNow()}
		if res, err = s.dev().devices.BulkReceivers(ctx, service.UserActor(currentUser(c)), in); err != nil {
			return err
		}
	}
	s.dev().rows.Poke()
	return s.renderManufacturers(c, http.StatusOK, res, m.Name)
}
