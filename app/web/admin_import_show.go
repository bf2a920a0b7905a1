package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// importPage is the data of the import pages: the upload form, then the
// preview of what the file would change.
type importPage struct {
	Nav     []adminNavItem
	Errors  map[string]string
	Plan    *service.ImportPlan
	CSV     string // the previewed file, posted again to confirm
	Columns []string
	MaxKiB  int
}

// adminImportShow renders the upload form of the assignment CSV.
func (s *Server) adminImportShow(c echo.Context) error {
	return s.renderImport(c, http.StatusOK, importPage{})
}

func (s *Server) renderImport(c echo.Context, status int, p importPage) error {
	p.Nav = adminNav(c, RouteAdminAssignments)
	p.Columns = service.ImportColumns
	p.MaxKiB = service.MaxImportBytes >> 10
	noStore(c)
	return s.page(c, status, PageAdminImport, View{Title: "Import assignments", Data: p})
}
