package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/service"
)

// adminImportConfirm stores the previewed CSV: it is planned again and its
// accepted rows are created in one transaction; refused rows never are.
func (s *Server) adminImportConfirm(c echo.Context) error {
	data := []byte(c.FormValue("csv"))
	if len(data) > service.MaxImportBytes {
		return s.renderImport(c, http.StatusUnprocessableEntity, importPage{Errors: map[string]string{"file": "the file is too large"}})
	}
	plan, err := service.ApplyImport(c.Request().Context(), s.store, service.UserActor(currentUser(c)), data)
	if f := fieldErrors(err); f != nil {
		if _, ok := f["channel"]; ok {
			f = map[string]string{"file": "a channel was assigned since the preview: preview the file again"}
		}
		return s.renderImport(c, http.StatusUnprocessableEntity, importPage{Errors: f})
	}
	if err != nil {
		return err
	}
	if len(plan.Created) == 0 {
		return s.renderImport(c, http.StatusUnprocessableEntity, importPage{Plan: plan, CSV: string(data),
			Errors: map[string]string{"file": "every row is refused: nothing was stored"}})
	}
	return s.backTo(c, RouteAdminAssignments, "imported")
}
