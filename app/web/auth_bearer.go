package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// apiTokenKey is where authenticateBearer leaves the caller's API token.
const apiTokenKey = "micboard.api_token"

// errBadToken answers a Bearer token that is malformed, unknown or revoked.
var errBadToken = echo.NewHTTPError(http.StatusUnauthorized, "The API token is not valid: it is unknown or was revoked.")

// currentToken is the API token that authenticated the request, or nil
// (a session, or nobody).
func currentToken(c echo.Context) *model.APIToken {
	t, _ := c.Get(apiTokenKey).(*model.APIToken)
	return t
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header; ok is false when the request sends none.
func bearerToken(r *http.Request) (token string, ok bool) {
	scheme, token, found := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// takesBearer reports the routes an API token may call: the JSON API and
// the Prometheus endpoint. Pages never take one.
func (s *Server) takesBearer(c echo.Context) bool {
	return strings.HasPrefix(c.Request().URL.Path, apiPrefix) || s.routeName(c) == RouteMetrics
}

// authenticateBearer turns "Authorization: Bearer <token>" on an API call
// into the same current user a session gives, with the token's role, so
// authorize, routeAccess and the handlers treat both alike; the audit log
// names the token (callerActor). The token is looked up on every request,
// so a revoked token fails on its next one. A Bearer request carries no
// cookie-borne authority, so it needs no CSRF token (csrfProtect), and its
// cookie, if any, is not read. A bad token is 401 whatever the route.
func (s *Server) authenticateBearer() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			raw, ok := bearerToken(c.Request())
			if !ok || !s.takesBearer(c) {
				return next(c)
			}
			if s.tokens == nil {
				return errStoreUnavailable
			}
			t, err := s.tokens.Authenticate(c.Request().Context(), raw)
			if errors.Is(err, store.ErrNotFound) {
				return errBadToken
			}
			if err != nil {
				return err
			}
			c.Set(apiTokenKey, t)
			c.Set(userKey, tokenUser(t))
			c.Set(actorKey, service.APITokenActor(t.Name))
			return next(c)
		}
	}
}

// tokenUser is the user an API token acts as: no account of its own (id
// 0), the token's role, and a name that says it is a token.
func tokenUser(t *model.APIToken) *model.User {
	return &model.User{Username: service.APITokenActor(t.Name).Name, Role: t.Role, Active: true}
}

// bearerAuthenticated reports a request that an API token authenticated.
func bearerAuthenticated(c echo.Context) bool { return currentToken(c) != nil }
