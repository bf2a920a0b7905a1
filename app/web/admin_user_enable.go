package web

import (
	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// adminUserEnable lets a disabled user log in again.
func (s *Server) adminUserEnable(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.users.Enable(c.Request().Context(), service.UserActor(currentUser(c)), id); err != nil {
		return err
	}
	return s.backToUsers(c, "enabled")
}
