package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
	"micboard/app/store"
)

// adminReceiverSave stores the edit form of a receiver (name, location,
// active). Bad input returns the page with the message beside the field
// and what was typed kept; marking it inactive stops watching it at once.
func (s *Server) adminReceiverSave(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	form := receiverForm{Name: truncate(c.FormValue("name"), 200), Active: c.FormValue("active") == "1", Errors: map[string]string{}}
	in := service.ReceiverEdit{Name: c.FormValue("name"), Active: form.Active}
	if raw := strings.TrimSpace(c.FormValue("location")); raw != "" {
		loc, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || loc <= 0 {
			form.Errors["location"] = "choose a location from the list"
		} else {
			in.LocationID, form.Location = &loc, loc
		}
	}
	if len(form.Errors) > 0 {
		return s.renderReceiver(c, http.StatusUnprocessableEntity, &form, nil)
	}
	ctx := c.Request().Context()
	activeChanged, err := s.dev().devices.EditReceiver(ctx, service.UserActor(currentUser(c)), id, in)
	var ve *service.ValidationError
	switch {
	case errors.As(err, &ve):
		form.Errors = ve.Fields
		return s.renderReceiver(c, http.StatusUnprocessableEntity, &form, nil)
	case errors.Is(err, store.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound)
	case err != nil:
		return err
	}
	if activeChanged {
		s.syncMonitor(ctx)
	}
	s.dev().rows.Poke()
	to, err := s.reverse(RouteAdminReceiverShow, id)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to+"?done=saved")
}
