package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/store"
)

// adminHomePage is the data of /admin/.
type adminHomePage struct {
	Nav    []adminNavItem
	Users  int                 // accounts, for admins
	Recent []*model.AuditEvent // the latest changes, for admins
}

// adminHome is the console's front page: its sections and, for admins,
// the latest changes.
func (s *Server) adminHome(c echo.Context) error {
	p := adminHomePage{Nav: adminNav(c, RouteAdmin)}
	if u := currentUser(c); u != nil && u.Role.AtLeast(model.RoleAdmin) && s.store != nil {
		ctx := c.Request().Context()
		var err error
		if p.Users, err = s.store.Users.Query().Count(ctx); err != nil {
			return err
		}
		if p.Recent, err = s.store.AuditEvents.Query().Paginate(store.Page{Number: 1, Size: 10}).List(ctx); err != nil {
			return err
		}
	}
	noStore(c)
	return s.page(c, http.StatusOK, PageAdminHome, View{Title: "Admin", Data: p})
}
