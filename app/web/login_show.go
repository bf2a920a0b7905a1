package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// loginPage is the data of the login page, which is also the set-up page
// while Micboard has no user.
type loginPage struct {
	Setup    bool   // no user yet: the form creates the first admin
	Next     string // where to go after logging in (a local path)
	Username string // as typed
	Error    string // above the form
	Fields   map[string]string
}

// loginShow renders the login form, or the form that creates the first
// admin when there is no user at all. A logged-in user goes straight on.
func (s *Server) loginShow(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if currentUser(c) != nil {
		return s.redirectAfterLogin(c, next)
	}
	p := loginPage{Next: next}
	if s.users != nil {
		has, err := s.users.HasUsers(c.Request().Context())
		if err != nil {
			return err
		}
		p.Setup = !has
	}
	return s.loginPage(c, http.StatusOK, p)
}

func (s *Server) loginPage(c echo.Context, status int, p loginPage) error {
	noStore(c)
	title := "Log in"
	if p.Setup {
		title = "Set up Micboard"
	}
	return s.page(c, status, PageLogin, View{Title: title, Data: p})
}
