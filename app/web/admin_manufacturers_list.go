package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// PageAdminManufacturers lists the vendors and their devices.
const PageAdminManufacturers = "admin_manufacturers"

// manufacturersPage is the data of /admin/manufacturers.
type manufacturersPage struct {
	Nav    []adminNavItem
	Rows   []manufacturerRow
	CSRF   string
	Result *service.ReceiverBulkResult
	Synced string // the vendor the result is about
}

// manufacturerRow is one vendor with counts of its receivers.
type manufacturerRow struct {
	M      *model.Manufacturer
	Total  int
	Active int
	Online int
	Filter string // the receivers table's query for this vendor
}

// adminManufacturersList renders the vendors with how many receivers each
// has, how many are watched and how many answer.
func (s *Server) adminManufacturersList(c echo.Context) error {
	return s.renderManufacturers(c, http.StatusOK, nil, "")
}

func (s *Server) renderManufacturers(c echo.Context, status int, res *service.ReceiverBulkResult, synced string) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	ctx := c.Request().Context()
	list, err := s.store.Manufacturers.List(ctx, false)
	if err != nil {
		return err
	}
	p := manufacturersPage{Nav: adminNav(c, RouteAdminManufacturers), CSRF: csrfToken(c), Result: res, Synced: synced}
	for _, m := range list {
		row := manufacturerRow{M: m, Filter: receiversFilter{Vendor: m.Code, Sort: "name"}.Encode()}
		if row.Total, err = s.store.Receivers.Query().ByManufacturer(m.Code).Count(ctx); err != nil {
			return err
		}
		if row.Active, err = s.store.Receivers.Query().ByManufacturer(m.Code).Active().Count(ctx); err != nil {
			return err
		}
		if row.Online, err = s.store.Receivers.Query().ByManufacturer(m.Code).Active().Online().Count(ctx); err != nil {
			return err
		}
		p.Rows = append(p.Rows, row)
	}
	noStore(c)
	return s.page(c, status, PageAdminManufacturers, View{Title: "Manufacturers", Data: p})
}
