package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"micboard/app/model"
	"micboard/app/service"
)

// kioskForm is a display's settings as typed: the create form (ID 0) and
// the edit form of one display are the same form, drawn by the one
// admin_kiosk_form template and read by readKioskForm.
type kioskForm struct {
	ID        int64  // the display edited; 0 for a new one
	Stored    string // the edited display's name as stored, for the heading
	Name      string
	View      string
	Columns   string // blank or "auto": as many as fit
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

// editKioskForm is the edit form of k, filled with its stored settings.
func editKioskForm(k *model.Kiosk) kioskForm {
	f := kioskForm{
		ID: k.ID, Name: k.Name, View: k.ViewQuery, Size: string(k.TileSize), ShowRF: k.ShowRF, ShowAudio: k.ShowAudio,
		Heartbeat: strconv.Itoa(k.HeartbeatSeconds) + "s", Pages: strconv.Itoa(k.PageSeconds),
	}
	if k.Columns > 0 {
		f.Columns = strconv.Itoa(k.Columns)
	}
	return f
}

// pageSecondsHelp says what a page interval may be.
var pageSecondsHelp = "a whole number of seconds from " + strconv.Itoa(service.MinKioskPageSeconds) +
	" to " + strconv.Itoa(service.MaxKioskPageSeconds)

// readKioskForm reads the create or edit form: the values as typed (to
// show again), the settings for service.Kiosks, and the fields whose text
// is not even a number or a duration. The ranges are the service's to
// check, for both forms alike.
func readKioskForm(c echo.Context) (kioskForm, service.KioskInput, map[string]string) {
	form := kioskForm{
		Name: truncate(c.FormValue("name"), 200), View: truncate(c.FormValue("view"), 600), Columns: truncate(c.FormValue("columns"), 10),
		Size: truncate(c.FormValue("size"), 4), ShowRF: c.FormValue("show_rf") == "1", ShowAudio: c.FormValue("show_audio") == "1",
		Heartbeat: truncate(c.FormValue("heartbeat"), 20), Pages: truncate(c.FormValue("page_seconds"), 10),
	}
	fields := map[string]string{}
	in := service.KioskInput{Name: form.Name, ViewQuery: form.View, TileSize: model.TileSize(form.Size), ShowRF: form.ShowRF, ShowAudio: form.ShowAudio}
	if v := strings.TrimSpace(form.Columns); v != "" && !strings.EqualFold(v, "auto") {
		n, err := strconv.Atoi(v)
		if err != nil {
			fields["columns"] = "a whole number, 0 (automatic) to 24"
		}
		in.Columns = n
	}
	if v := strings.TrimSpace(form.Pages); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n == 0 { // a typed 0 is not the blank that means "the default"
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
	return form, in, fields
}
