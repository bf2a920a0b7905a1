package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
)

// PageAdminTokens is the console's API token page.
const PageAdminTokens = "admin_tokens"

func init() { requiredTemplates.pages = append(requiredTemplates.pages, PageAdminTokens) }

// tokenForm is the create form as typed.
type tokenForm struct {
	Name   string
	Role   string
	Errors map[string]string
}

// tokenRow is one token of the table.
type tokenRow struct {
	*model.APIToken
	Created *time.Time // CreatedAt, as the time helpers take it
}

// tokensPage is the data of /admin/tokens.
type tokensPage struct {
	Nav    []adminNavItem
	Tokens []tokenRow
	Roles  []model.Role
	Create tokenForm
	// NewToken is the secret of the token just made: shown in this one
	// answer and never again (only its hash is stored).
	NewToken string
	NewName  string
	Notice   string
}

var tokensNotices = map[string]string{"revoked": "Token revoked: it fails from its next request."}

// adminTokensList renders the API tokens: role, who made each, when it was
// last used, and whether it is revoked.
func (s *Server) adminTokensList(c echo.Context) error {
	return s.renderTokens(c, http.StatusOK, tokensPage{Create: tokenForm{Role: string(model.RoleViewer)}})
}

func (s *Server) renderTokens(c echo.Context, status int, p tokensPage) error {
	if s.tokens == nil {
		return errStoreUnavailable
	}
	list, err := s.tokens.List(c.Request().Context())
	if err != nil {
		return err
	}
	for _, t := range list {
		p.Tokens = append(p.Tokens, tokenRow{APIToken: t, Created: &t.CreatedAt})
	}
	p.Roles = model.Roles
	p.Nav = adminNav(c, RouteAdminTokens)
	if p.NewToken == "" {
		p.Notice = tokensNotices[c.QueryParam("done")]
	}
	noStore(c)
	return s.page(c, status, PageAdminTokens, View{Title: "API tokens", Data: p})
}
