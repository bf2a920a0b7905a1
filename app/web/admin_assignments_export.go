package web

import (
	"bytes"
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// adminAssignmentsExport downloads the active assignments as the CSV the
// import reads.
func (s *Server) adminAssignmentsExport(c echo.Context) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	var b bytes.Buffer
	if err := service.ExportAssignments(c.Request().Context(), s.store, &b); err != nil {
		return err
	}
	noStore(c)
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="micboard-assignments.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}
