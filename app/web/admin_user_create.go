package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// adminUserCreate adds a user from the form on the users page. Bad input
// returns the page with the message beside the field and what was typed
// (except the password) kept.
func (s *Server) adminUserCreate(c echo.Context) error {
	me := currentUser(c)
	in := service.UserInput{Username: c.FormValue("username"), Password: c.FormValue("password"), Role: model.Role(c.FormValue("role"))}
	_, err := s.users.Create(c.Request().Context(), service.UserActor(me), in)
	var ve *service.ValidationError
	if errors.As(err, &ve) {
		form := userForm{Username: truncate(in.Username, 100), Role: string(in.Role), Errors: ve.Fields}
		return s.renderUsers(c, http.StatusUnprocessableEntity, form, nil)
	}
	if err != nil {
		return err
	}
	return s.backToUsers(c, "created")
}
