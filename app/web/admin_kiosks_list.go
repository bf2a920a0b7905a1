package web

import (
	"net/http"
	"strconv"
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
	Pages     string // seconds a page, as typed
	Errors    map[string]string
}

// newKioskForm is the create form before anything is typed.
func newKioskForm() kioskForm {
	return kioskForm{Size: "l", ShowRF: true, ShowAudio: true, Heartbeat: "30s", Pages: strconv.Itoa(service.DefaultKioskPageSeconds)}
}

// kioskPagingEdit is a page interval typed into one display's row that was
// refused, shown again with the reason.
type kioskPagingEdit struct {
	ID    int64
	Value string
	Error string
}

// kioskRow is one display of the table.
type kioskRow struct {
	Kiosk *model.Kiosk
	Alive bool
	// Pages and PagesError fill the row's page interval field: the stored
	// value, or the refused one with why.
	Pages      string
	PagesError string
}

// kiosksPage is the data of /admin/kiosks.
type kiosksPage struct {
	Nav    []adminNavItem
	Rows   []kioskRow
	Create kioskForm
	Paging kioskPagingEdit
	// NewURL is the secret URL of the display just created: shown in this
	// one answer and never again (only its hash is stored).
	NewURL  string
	NewName string
	Notice  string
}

var kiosksNotices = map[string]string{
	"revoked": "Display revoked: it shows \"This display was revoked\" from its next request.",
	"paging":  "Page interval saved: the display turns its pages at the new pace from its next load or reconnect; its URL is unchanged.",
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
	for _, k := range list {
		row := kioskRow{Kiosk: k, Alive: service.Alive(k, now), Pages: strconv.Itoa(k.PageSeconds)}
		if p.Paging.ID == k.ID {
			row.Pages, row.PagesError = p.Paging.Value, p.Paging.Error
		}
		p.Rows = append(p.Rows, row)
	}
	p.Nav = adminNav(c, RouteAdminKiosks)
	if p.NewURL == "" {
		p.Notice = kiosksNotices[c.QueryParam("done")]
	}
	noStore(c)
	return s.page(c, status, PageAdminKiosks, View{Title: "Kiosks", Data: p})
}
