package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// adminKioskCreate registers a wall display and answers with its secret
// URL, once: the page is not cached and the URL is stored nowhere (only a
// hash of its token), so it is never shown again nor written to the log.
func (s *Server) adminKioskCreate(c echo.Context) error {
	form, in, fields := readKioskForm(c)
	var k *model.Kiosk
	var token string
	if len(fields) == 0 {
		ctx := c.Request().Context()
		err := service.Audited(ctx, s.store, service.UserActor(currentUser(c)), func(tx *store.Store) (service.Change, error) {
			var err error
			if k, token, err = service.NewKiosks(tx).Create(ctx, in); err != nil {
				return service.Change{}, err
			}
			view := k.ViewQuery
			if view == "" {
				view = "the whole board"
			}
			return service.Change{Action: "kiosk.create", ObjectKind: "kiosk", ObjectIDs: []int64{k.ID},
				Summary: fmt.Sprintf("created display %q showing %s", k.Name, view)}, nil
		})
		switch {
		case errors.Is(err, store.ErrAlreadyExists):
			fields["name"] = "a display with this name exists: revoke it first or choose another name"
		case fieldErrors(err) != nil:
			fields = fieldErrors(err)
		case err != nil:
			return err
		}
	}
	if len(fields) > 0 {
		form.Errors = fields
		return s.renderKiosks(c, http.StatusUnprocessableEntity, kiosksPage{Create: form})
	}
	path, err := s.reverse(RouteKiosk, token)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return s.renderKiosks(c, http.StatusCreated, kiosksPage{
		Create: newKioskForm(),
		NewURL: c.Scheme() + "://" + c.Request().Host + path, NewName: k.Name,
	})
}
