package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// adminUserRole changes a user's role; the last active admin keeps theirs.
func (s *Server) adminUserRole(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	role := c.FormValue("role")
	err = s.users.SetRole(c.Request().Context(), service.UserActor(currentUser(c)), id, model.Role(role))
	if msg := rowMessage(err); msg != "" {
		return s.renderUsers(c, http.StatusUnprocessableEntity, userForm{Role: string(model.RoleViewer)},
			&rowFailure{id: id, role: truncate(role, 20), errors: map[string]string{"role": msg}})
	}
	if err != nil {
		return err
	}
	return s.backToUsers(c, "role")
}

// rowMessage turns the errors a person can act on into the message shown
// beside a row's field ("" for any other error).
func rowMessage(err error) string {
	var ve *service.ValidationError
	switch {
	case errors.As(err, &ve):
		for _, m := range ve.Fields {
			return m
		}
	case errors.Is(err, service.ErrLastAdmin):
		return service.ErrLastAdmin.Error()
	}
	return ""
}
