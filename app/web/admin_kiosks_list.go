package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// kioskForm is the create form as typed.
type kioskForm struct {
	Name      string
	View      string
	Columns   string
	Size      string
	ShowRF    bool
	ShowAudio bool
	Heartbeat string
	Errors    map[string]string
}

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
	// NewURL is the secret URL of the display just created: shown in this
	// one answer and never again (only its hash is stored).
	NewURL  string
	NewName string
	Notice  string
}

var kiosksNotices = map[string]string{"revoked": "Display revoked: it shows \"This display was revoked\" from its next request."}

// adminKiosksList renders the wall displays: what each shows, when it last
// sent a heartbeat, and whether it is revoked.
func (s *Server) adminKiosksList(c echo.Context) error {
	return s.renderKiosks(c, http.StatusOK, kiosksPage{Create: kioskForm{Size: "l", ShowRF: true, ShowAudio: true, Heartbeat: "30s"}})
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
	for _, k := range list {
		p.Rows = append(p.Rows, kioskRow{Kiosk: k, Alive: service.Alive(k, now)})
	}
	p.Nav = adminNav(c, RouteAdminKiosks)
	if p.NewURL == "" {
		p.Notice = kiosksNotices[c.QueryParam("done")]
	}
	noStore(c)
	return s.page(c, status, PageAdminKiosks, View{Title: "Kiosks", Data: p})
}
