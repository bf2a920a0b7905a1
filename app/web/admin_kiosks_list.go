package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// kioskRow is one display of the table.
type kioskRow struct {
	Kiosk *model.Kiosk
	Alive bool
}

// kiosksPage is the data of /admin/kiosks.
type kiosksPage struct {
	Nav    []adminNavItem
	Rows   []kioskRow
	Create kioskForm
	// Edit is the edit form open above the table (?edit=ID, or one refused
	// with its reasons); nil when none is.
	Edit *kioskForm
	// NewURL is the secret URL of the display just created: shown in this
	// one answer and never again (only its hash is stored).
	NewURL  string
	NewName string
	Notice  string
}

var kiosksNotices = map[string]string{
	"revoked":   "Display revoked: it shows \"This display was revoked\" from its next request.",
	"saved":     "Display saved: a running display loads again with the new settings at its next heartbeat; its URL is unchanged.",
	"unchanged": "Nothing changed: the display already shows these settings.",
}

// adminKiosksList renders the wall displays: what each shows, when it last
// sent a heartbeat, and whether it is revoked.
func (s *Server) adminKiosksList(c echo.Context) error {
	return s.renderKiosks(c, http.StatusOK, kiosksPage{Create: newKioskForm()})
}

func (s *Server) renderKiosks(c echo.Context, status int, p kiosksPage) error {
	if s.store == nil {
		return errStoreUnavailable
	}
	list, err := s.kiosks.List(c.Request().Context())
	if err != nil {
		return err
	}
	now := time.Now()
	editID, editing := queryID(c, "edit")
	for _, k := range list {
		p.Rows = append(p.Rows, kioskRow{Kiosk: k, Alive: service.Alive(k, now)})
		if p.Edit == nil && editing && k.ID == editID && k.RevokedAt == nil {
			f := editKioskForm(k)
			p.Edit = &f
		}
		if p.Edit != nil && p.Edit.ID == k.ID {
			p.Edit.Stored = k.Name
		}
	}
	p.Nav = adminNav(c, RouteAdminKiosks)
	if p.NewURL == "" {
		p.Notice = kiosksNotices[c.QueryParam("done")]
	}
	noStore(c)
	return s.page(c, status, PageAdminKiosks, View{Title: "Kiosks", Data: p})
}
