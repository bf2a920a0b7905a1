package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// pageSecondsHelp says what a page interval may be.
var pageSecondsHelp = fmt.Sprintf("a whole number of seconds from %d to %d", service.MinKioskPageSeconds, service.MaxKioskPageSeconds)

// adminKioskPagingSave sets how long one display shows each page when its
// channels do not fit one screen. The display keeps its URL; a refused
// value changes nothing and is shown again with the reason.
func (s *Server) adminKioskPagingSave(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	typed := truncate(c.FormValue("page_seconds"), 10)
	seconds, convErr := strconv.Atoi(strings.TrimSpace(typed))
	if convErr != nil {
		return s.renderKiosks(c, http.StatusUnprocessableEntity, kiosksPage{Create: newKioskForm(),
			Paging: kioskPagingEdit{ID: id, Value: typed, Error: pageSecondsHelp}})
	}
	ctx := c.Request().Context()
	err = service.Audited(ctx, s.store, service.UserActor(currentUser(c)), func(tx *store.Store) (service.Change, error) {
		k, err := activeKiosk(ctx, tx, id)
		if err != nil {
			return service.Change{}, err
		}
		if err := service.NewKiosks(tx).SetPageSeconds(ctx, id, seconds); err != nil {
			return service.Change{}, err
		}
		return service.Change{Action: "kiosk.paging", ObjectKind: "kiosk", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("display %q turns its pages every %d s (was %d s)", k.Name, seconds, k.PageSeconds)}, nil
	})
	if f := fieldErrors(err); f != nil {
		return s.renderKiosks(c, http.StatusUnprocessableEntity, kiosksPage{Create: newKioskForm(),
			Paging: kioskPagingEdit{ID: id, Value: typed, Error: f["page_seconds"]}})
	}
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	return s.backTo(c, RouteAdminKiosks, "paging")
}

// activeKiosk finds an unrevoked display by id; store.ErrNotFound when
// there is none.
func activeKiosk(ctx context.Context, tx *store.Store, id int64) (*model.Kiosk, error) {
	list, err := tx.Kiosks.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range list {
		if k.ID == id && k.RevokedAt == nil {
			return k, nil
		}
	}
	return nil, fmt.Errorf("display %d: %w", id, store.ErrNotFound)
}
