package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/store"
)

// adminKioskUpdate saves the edit form of one display: every setting the
// create form has, checked the same way. The display keeps its URL; a
// running wall loads again at its next heartbeat. A refused value changes
// nothing and the form comes back with the reason beside the field.
func (s *Server) adminKioskUpdate(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	form, in, fields := readKioskForm(c)
	form.ID = id
	done := "saved"
	if len(fields) == 0 {
		_, changes, err := s.kiosks.Update(c.Request().Context(), service.UserActor(currentUser(c)), id, in)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return echo.NewHTTPError(http.StatusNotFound, "There is no such display, or it was revoked.")
		case errors.Is(err, store.ErrAlreadyExists):
			fields["name"] = "another display has this name: choose another"
		case fieldErrors(err) != nil:
			fields = fieldErrors(err)
		case err != nil:
			return err
		case changes == nil:
			done = "unchanged"
		}
	}
	if len(fields) > 0 {
		form.Errors = fields
		return s.renderKiosks(c, http.StatusUnprocessableEntity, kiosksPage{Create: newKioskForm(), Edit: &form})
	}
	return s.backTo(c, RouteAdminKiosks, done)
}
