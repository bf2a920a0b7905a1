package web

import (
	"github.com/labstack/echo/v4"
)

// logout ends the session and shows the login page.
func (s *Server) logout(c echo.Context) error {
	if _, err := c.Cookie(SessionName); err == nil {
		if sess, err := s.session(c); err == nil {
			s.endSession(c, sess)
		}
	}
	s.dropCSRFCookie(c)
	return s.redirect(c, RouteLogin)
}
