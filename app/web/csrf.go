package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
)

// CSRF protection is Echo's CSRF middleware (a token in a cookie that
// every state-changing request must send back): forms send it as the
// hidden input "csrf", htmx as the X-CSRF-Token header (static/js/csrf.js
// copies it from <meta name="csrf-token">).
const (
	csrfCookie     = "micboard_csrf"
	csrfField      = "csrf"
	csrfHeader     = "X-CSRF-Token"
	csrfContextKey = "micboard.csrf"
	csrfMaxAge     = 7 * 24 * time.Hour
)

// errCSRF is the answer to a state-changing request without a valid token.
var errCSRF = echo.NewHTTPError(http.StatusForbidden,
	"This form has expired or did not come from this Micboard page. Reload the page and try again.")

// csrfProtect checks the token on every POST, PUT, PATCH and DELETE and
// issues it on the pages that render forms.
//
// Kiosk routes are exempt: a wall display has no session and no login, and
// the secret token in its URL is its only credential — a cross-site page
// that knew that URL could read the display anyway, and the only thing a
// kiosk may post is its own heartbeat. Giving it a CSRF token as well would
// add nothing the URL token does not already prove.
//
// A request an API token authenticated is exempt too: a browser never adds
// an Authorization header by itself, so another site cannot forge one.
func (s *Server) csrfProtect() echo.MiddlewareFunc {
	cfg := echomw.CSRFConfig{
		TokenLookup:    "header:" + csrfHeader + ",form:" + csrfField,
		ContextKey:     csrfContextKey,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieMaxAge:   int(csrfMaxAge / time.Second),
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteLaxMode,
		Skipper: func(c echo.Context) bool {
			name := s.routeName(c)
			if routeAccess[name] == accessKiosk || bearerAuthenticated(c) {
				return true
			}
			return isSafeMethod(c.Request().Method) && (name == "" || tokenlessReads[name])
		},
		// A missing token is 400 in Echo; to the user both mean the same.
		ErrorHandler: func(error, echo.Context) error { return errCSRF },
	}
	plain := echomw.CSRFWithConfig(cfg)
	cfg.CookieSecure = true
	secure := echomw.CSRFWithConfig(cfg)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		overPlain, overTLS := plain(next), secure(next)
		return func(c echo.Context) error {
			r := c.Request()
			// A browser says where a request came from: a state change
			// started by another site is refused outright. Echo would also
			// let a same-origin Sec-Fetch-Site stand in for the token;
			// Micboard wants the token every time, so the header stops here.
			if site := r.Header.Get(echo.HeaderSecFetchSite); !isSafeMethod(r.Method) && (site == "cross-site" || site == "same-site") {
				if routeAccess[s.routeName(c)] != accessKiosk && !bearerAuthenticated(c) {
					return errCSRF
				}
			}
			r.Header.Del(echo.HeaderSecFetchSite)
			if isHTTPS(r) {
				return overTLS(c)
			}
			return overPlain(c)
		}
	}
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// csrfToken is the token the page's forms and htmx requests send back.
func csrfToken(c echo.Context) string {
	t, _ := c.Get(csrfContextKey).(string)
	return t
}

// dropCSRFCookie deletes the token cookie, so the next page issues a new
// token: a login starts with a token nobody saw before it.
func (s *Server) dropCSRFCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: csrfCookie, Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: isHTTPS(c.Request())})
}
