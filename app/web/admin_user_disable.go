package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// adminUserDisable stops a user from logging in and ends their open
// sessions at once; the last active admin cannot be disabled.
func (s *Server) adminUserDisable(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	err = s.users.Disable(c.Request().Context(), service.UserActor(currentUser(c)), id)
	if msg := rowMessage(err); msg != "" {
		return s.renderUsers(c, http.StatusConflict, userForm{Role: string(model.RoleViewer)},
			&rowFailure{id: id, errors: map[string]string{"active": msg}})
	}
	if err != nil {
		return err
	}
	return s.backToUsers(c, "disabled")
}
