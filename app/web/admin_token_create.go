package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// adminTokenCreate makes an API token and answers with its secret, once:
// the page is not cached and the secret is stored nowhere (only its hash),
// so it is never shown again nor written to the log.
func (s *Server) adminTokenCreate(c echo.Context) error {
	if s.tokens == nil {
		return errStoreUnavailable
	}
	form := tokenForm{Name: truncate(c.FormValue("name"), 200), Role: truncate(c.FormValue("role"), 20)}
	t, secret, err := s.tokens.Create(c.Request().Context(), callerActor(c),
		service.APITokenInput{Name: form.Name, Role: model.Role(form.Role)})
	if fields := fieldErrors(err); fields != nil {
		form.Errors = fields
		return s.renderTokens(c, http.StatusUnprocessableEntity, tokensPage{Create: form})
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return s.renderTokens(c, http.StatusCreated, tokensPage{
		Create: tokenForm{Role: string(model.RoleViewer)}, NewToken: secret, NewName: t.Name,
	})
}
