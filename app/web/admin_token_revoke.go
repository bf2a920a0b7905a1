package web

import (
	"github.com/labstack/echo/v4"
)

// adminTokenRevoke revokes one API token: it fails from its next request.
// Revoking one already revoked is 404.
func (s *Server) adminTokenRevoke(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if s.tokens == nil {
		return errStoreUnavailable
	}
	if _, err := s.tokens.RevokeID(c.Request().Context(), callerActor(c), id); err != nil {
		return err
	}
	return s.backTo(c, RouteAdminTokens, "revoked")
}
