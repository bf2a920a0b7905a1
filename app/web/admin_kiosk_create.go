package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// adminKioskCreate registers a wall display and answers with its secret
// URL, once: the page is not cached and the URL is stored nowhere (only a
// hash of its token), so it is never shown again nor written to the log.
func (s *Server) adminKioskCreate(c echo.Context) error {
	form := kioskForm{
		Name: truncate(c.FormValue("name"), 200), View: truncate(c.FormValue("view"), 600), Columns: truncate(c.FormValue("columns"), 10),
		Size: truncate(c.FormValue("size"), 4), ShowRF: c.FormValue("show_rf") == "1", ShowAudio: c.FormValue("show_audio") == "1",
		Heartbeat: truncate(c.FormValue("heartbeat"), 20), Pages: truncate(c.FormValue("page_seconds"), 10),
	}
	fields := map[string]string{}
	in := service.KioskInput{Name: form.Name, ViewQuery: form.View, TileSize: model.TileSize(form.Size), ShowRF: form.ShowRF, ShowAudio: form.ShowAudio}
	if v := strings.TrimSpace(form.Columns); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fields["columns"] = "a whole number, 0 (automatic) to 24"
		}
		in.Columns = n
	}
	if v := strings.TrimSpace(form.Pages); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fields["page_seconds"] = pageSecondsHelp
		}
		in.PageSeconds = n
	}
	if v := strings.TrimSpace(form.Heartbeat); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fields["heartbeat"] = "a duration such as 30s or 1m"
		}
		in.Heartbeat = d
	}
	var k *model.Kiosk
	var token string
	if len(fields) == 0 {
		ctx := c.Request().Context()
		err := service.Audited(ctx, s.store, service.UserActor(currentUser(c)), func(tx *store.Store) (service.Change, error) {
			var err error
			if k, token, err = service.NewKiosks(tx).Create(ctx, in); err != nil {
				return service.Change{}, err
			}
			view := k.ViewQuery
			if view == "" {
				view = "the whole board"
			}
			return service.Change{Action: "kiosk.create", ObjectKind: "kiosk", ObjectIDs: []int64{k.ID},
				Summary: fmt.Sprintf("created display %q showing %s", k.Name, view)}, nil
		})
		switch {
		case errors.Is(err, store.ErrAlreadyExists):
			fields["name"] = "a display with this name exists: revoke it first or choose another name"
		case fieldErrors(err) != nil:
			fields = fieldErrors(err)
		case err != nil:
			return err
		}
	}
	if len(fields) > 0 {
		form.Errors = fields
		return s.renderKiosks(c, http.StatusUnprocessableEntity, kiosksPage{Create: form})
	}
	path, err := s.reverse(RouteKiosk, token)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return s.renderKiosks(c, http.StatusCreated, kiosksPage{
		Create: newKioskForm(),
		NewURL: c.Scheme() + "://" + c.Request().Host + path, NewName: k.Name,
	})
}
