package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/web/htmx"
)

// reverse builds the path of a named route (routes.go).
func (s *Server) reverse(name string, params ...any) (string, error) {
	if !s.routeNames[name] {
		return "", fmt.Errorf("no route named %q", name)
	}
	return s.echo.Reverse(name, params...), nil
}

// redirect sends the browser to a named route after an action: htmx gets an
// HX-Redirect (htmx would otherwise swap the target page into the element),
// a plain request a 303 See Other so a POST is not repeated.
func (s *Server) redirect(c echo.Context, name string, params ...any) error {
	to, err := s.reverse(name, params...)
	if err != nil {
		return err
	}
	if htmx.GetRequest(c).Enabled {
		if err := (htmx.Response{Redirect: to}).Apply(c); err != nil {
			return err
		}
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// noStore marks a response that must never be cached (probes, live data).
func noStore(c echo.Context) {
	c.Response().Header().Set("Cache-Control", "no-store")
}
