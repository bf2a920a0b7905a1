package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// adminUserPassword sets a new password for a user and ends their open
// sessions.
func (s *Server) adminUserPassword(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	err = s.users.SetPassword(c.Request().Context(), service.UserActor(currentUser(c)), id, c.FormValue("password"))
	if msg := rowMessage(err); msg != "" {
		return s.renderUsers(c, http.StatusUnprocessableEntity, userForm{Role: string(model.RoleViewer)},
			&rowFailure{id: id, errors: map[string]string{"password": msg}})
	}
	if err != nil {
		return err
	}
	return s.backToUsers(c, "password")
}
