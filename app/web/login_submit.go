package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/ratelimit"
	"micboard/app/service"
)

// loginSubmit checks a username and password and starts a new session.
// Failed attempts are counted per username and per client address; past
// the limit the form answers 429 with Retry-After without checking the
// password at all.
func (s *Server) loginSubmit(c echo.Context) error {
	if s.users == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	username, password := c.FormValue("username"), c.FormValue("password")
	p := loginPage{Next: safeNext(c.FormValue("next")), Username: truncate(username, 64)}
	addr := c.RealIP()

	wait, err := s.limits.blocked(ctx, username, addr)
	if err != nil {
		return err
	}
	if wait > 0 {
		ratelimit.SetRetryAfter(c.Response().Header(), wait)
		p.Error = fmt.Sprintf("Too many failed logins. Try again in %s.", waitText(wait))
		return s.loginPage(c, http.StatusTooManyRequests, p)
	}

	u, err := s.users.Authenticate(ctx, username, password)
	if errors.Is(err, service.ErrBadLogin) {
		if err := s.limits.failed(ctx, username, addr); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "login failed", "username", truncate(username, 64), "ip", addr)
		p.Error = "Wrong username or password."
		return s.loginPage(c, http.StatusUnauthorized, p)
	}
	if err != nil {
		return err
	}
	if err := s.limits.succeeded(ctx, username); err != nil {
		s.log.WarnContext(ctx, "clear failed logins", "err", err)
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "login", "user", u.Username, "ip", addr)
	return s.redirectAfterLogin(c, p.Next)
}

// waitText says a wait in words a person reads at a glance.
func waitText(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(d.Round(time.Second)/time.Second))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
