package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// setupSubmit creates the first admin while Micboard has no user at all,
// and logs them in. Once any user exists it refuses (service.ErrSetupDone
// is decided inside one locked transaction, so two people setting up at
// once cannot both become admin).
func (s *Server) setupSubmit(c echo.Context) error {
	if s.users == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	in := service.UserInput{Username: c.FormValue("username"), Password: c.FormValue("password")}
	p := loginPage{Setup: true, Next: safeNext(c.FormValue("next")), Username: truncate(in.Username, 64)}
	if in.Password != c.FormValue("password_confirm") {
		p.Fields = map[string]string{"password_confirm": "the two passwords differ"}
		return s.loginPage(c, http.StatusUnprocessableEntity, p)
	}
	u, err := s.users.CreateFirstAdmin(ctx, in)
	var ve *service.ValidationError
	switch {
	case errors.As(err, &ve):
		p.Fields = ve.Fields
		return s.loginPage(c, http.StatusUnprocessableEntity, p)
	case errors.Is(err, service.ErrSetupDone):
		p.Setup, p.Error = false, "Micboard already has an admin. Log in with your account."
		return s.loginPage(c, http.StatusConflict, p)
	case err != nil:
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "first admin created", "user", u.Username, "ip", c.RealIP())
	if p.Next != "" {
		return s.redirectAfterLogin(c, p.Next)
	}
	return s.redirect(c, RouteAdminUsers)
}
