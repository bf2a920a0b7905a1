package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"micboard/app/model"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var kioskURL = regexp.MustCompile(`http://[^"<\s]+/kiosk/([A-Za-z0-9_-]{20,})`)

func TestKioskFormsAndTheURLShownOnce(t *testing.T) {
	r := newShowRig(t)
	logs := &lockedBuffer{}
	s, err := New(Deps{Config: r.s.cfg, DB: r.s.db, Store: r.st, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	r.s = s
	a := r.loggedIn(model.RoleAdmin)
	if res, _ := a.post("/admin/kiosks", url.Values{"name": {"Monitor world"}, "size": {"l"}}); res.StatusCode != http.StatusCreated {
		t.Fatalf("first display: %d", res.StatusCode)
	}
	before := r.count("kiosks")
	for _, tt := range []struct {
		name    string
		form    url.Values
		message string
	}{
		{"empty", url.Values{"name": {""}}, "give the display a name"},
		{"too long", url.Values{"name": {strings.Repeat("k", 101)}}, "at most 100 characters"},
		{"wrong type", url.Values{"name": {"FOH"}, "columns": {"six"}}, "a whole number"},
		{"out of range", url.Values{"name": {"FOH"}, "columns": {"99"}}, "0 (automatic) to 24"},
		{"bad heartbeat", url.Values{"name": {"FOH"}, "heartbeat": {"often"}}, "a duration such as 30s"},
		{"bad view", url.Values{"name": {"FOH"}, "view": {"status=sideways"}}, "want a board view"},
		{"unknown location", url.Values{"name": {"FOH"}, "view": {"loc=4242"}}, "there is no location 4242"},
		{"bad size", url.Values{"name": {"FOH"}, "size": {"xl"}}, "s, m or l"},
		{"page interval too short", url.Values{"name": {"FOH"}, "page_seconds": {"2"}}, "seconds from 3 to 120"},
		{"page interval not a number", url.Values{"name": {"FOH"}, "page_seconds": {"ten"}}, "seconds from 3 to 120"},
		{"duplicate", url.Values{"name": {"monitor WORLD"}, "size": {"m"}}, "a display with this name exists"},
	} {
		res, body := a.post("/admin/kiosks", tt.form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.message) {
			t.Errorf("%s: %d, no %q", tt.name, res.StatusCode, tt.message)
		}
		if tt.name == "duplicate" && !strings.Contains(body, `value="monitor WORLD"`) {
			t.Errorf("%s: the typed name is gone", tt.name)
		}
		if kioskURL.MatchString(body) {
			t.Errorf("%s: a URL was shown", tt.name)
		}
	}
	if n := r.count("kiosks"); n != before {
		t.Fatalf("bad input stored %d displays", n-before)
	}

	res, body := a.post("/admin/kiosks", url.Values{"name": {"FOH"}, "view": {"status=attention"}, "columns": {"6"}, "size": {"m"}, "show_rf": {"1"}, "heartbeat": {"15s"}})
	m := kioskURL.FindStringSubmatch(body)
	if res.StatusCode != http.StatusCreated || m == nil || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	token := m[1]
	// The URL works, and is never shown again nor logged.
	if res, _ := r.browser().get("/kiosk/" + token); res.StatusCode != http.StatusOK {
		t.Fatalf("the new display's URL: %d", res.StatusCode)
	}
	if _, body := a.get("/admin/kiosks"); strings.Contains(body, token) || !strings.Contains(body, `data-kiosk="FOH"`) {
		t.Fatal("the list shows the token, or not the display")
	}
	if strings.Contains(logs.String(), token) {
		t.Fatal("the token was logged")
	}
	k, err := r.st.Kiosks.FindActive(t.Context(), "FOH")
	if err != nil || k.Columns != 6 || k.ShowAudio || k.HeartbeatSeconds != 15 {
		t.Fatalf("stored %+v %v", k, err)
	}
	if res, _ := a.post("/admin/kiosks/"+strconv.FormatInt(k.ID, 10)+"/revoke", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if res, _ := a.post("/admin/kiosks/"+strconv.FormatInt(k.ID, 10)+"/revoke", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("revoke twice: %d", res.StatusCode)
	}
	if res, _ := r.browser().get("/kiosk/" + token); res.StatusCode == http.StatusOK {
		t.Fatal("a revoked display still shows the board")
	}
	events, _ := r.st.AuditEvents.Query().ByActor("admin-user").List(t.Context())
	if len(events) != 3 || events[0].Action != "kiosk.revoke" || strings.Contains(events[1].Summary, token) {
		t.Fatalf("audit: %+v", events)
	}
	if res, _ := r.loggedIn(model.RoleOperator).get("/admin/kiosks"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("operator: %d", res.StatusCode)
	}
}

var heartbeatURL = regexp.MustCompile(`hx-post="(/kiosk/[A-Za-z0-9_-]+/heartbeat\?v=(\d+))"`)

// besideField reports whether msg is shown in the edit form next to the
// input with id: after it and before the end of its field.
func besideField(body, id, msg string) bool {
	form := strings.Index(body, "data-edit-kiosk=")
	if form < 0 {
		return false
	}
	at := strings.Index(body[form:], `id="`+id+`"`)
	if at < 0 {
		return false
	}
	rest := body[form+at:]
	end := strings.Index(rest, "</div>")
	return end > 0 && strings.Contains(rest[:end], msg)
}

// TestKioskEditInPlace: every setting of a display is changed on the admin
// page through the create form's fields and checks, audited, with the same
// URL; a refused value is shown beside its field and changes nothing; a
// running wall's heartbeat is told to reload (HX-Refresh) once the stored
// settings are newer than the ones it was drawn with.
func TestKioskEditInPlace(t *testing.T) {
	r := newShowRig(t)
	logs := &lockedBuffer{}
	s, err := New(Deps{Config: r.s.cfg, DB: r.s.db, Store: r.st, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	r.s = s
	ctx := t.Context()
	a := r.loggedIn(model.RoleAdmin)
	res, body := a.post("/admin/kiosks", url.Values{"name": {"Side fill"}, "size": {"l"}, "page_seconds": {"15"}, "heartbeat": {"15s"}, "show_audio": {"1"}})
	m := kioskURL.FindStringSubmatch(body)
	if res.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("create: %d", res.StatusCode)
	}
	token := m[1]
	if res, _ := a.post("/admin/kiosks", url.Values{"name": {"Drum fill"}}); res.StatusCode != http.StatusCreated {
		t.Fatalf("second display: %d", res.StatusCode)
	}
	k, err := r.st.Kiosks.FindActive(ctx, "Side fill")
	if err != nil || k.PageSeconds != 15 || k.TileSize != model.TileLarge {
		t.Fatalf("stored %+v %v", k, err)
	}
	id := strconv.FormatInt(k.ID, 10)
	edit := "/admin/kiosks/" + id
	// wall loads the display's page and returns it with its heartbeat URL.
	wall := func() (string, string) {
		t.Helper()
		res, body := r.browser().get("/kiosk/" + token)
		hb := heartbeatURL.FindStringSubmatch(body)
		if res.StatusCode != http.StatusOK || hb == nil {
			t.Fatalf("the display's URL: %d, heartbeat URL found %t", res.StatusCode, hb != nil)
		}
		return body, hb[1]
	}
	heartbeat := func(path string) *http.Response {
		t.Helper()
		res, _ := r.browser().do(http.MethodPost, path, url.Values{}, map[string]string{"HX-Request": "true"})
		return res
	}
	page, drawn := wall()
	if !strings.Contains(page, `data-page-seconds="15"`) || !strings.Contains(page, "kiosk-l") {
		t.Fatal("the wall is not drawn with its settings")
	}
	if res := heartbeat(drawn); res.StatusCode != http.StatusNoContent || res.Header.Get("HX-Refresh") != "" {
		t.Fatalf("heartbeat of an unchanged display: %d, HX-Refresh %q", res.StatusCode, res.Header.Get("HX-Refresh"))
	}

	// The edit form is the create form filled with the stored settings.
	res, body = a.get("/admin/kiosks?edit=" + id)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-edit-kiosk="`+id+`"`) ||
		!strings.Contains(body, `id="ke-name" name="name" value="Side fill"`) || !strings.Contains(body, `id="ke-pages" name="page_seconds" value="15"`) {
		t.Fatalf("edit form: %d", res.StatusCode)
	}

	good := url.Values{"name": {"Side fill left"}, "view": {"status=attention"}, "size": {"s"}, "columns": {"4"},
		"page_seconds": {" 7 "}, "heartbeat": {"20s"}, "show_rf": {"1"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vals := range good {
			f[key] = vals
		}
		f.Set(k, v)
		return f
	}
	events := func() int {
		t.Helper()
		list, err := r.st.AuditEvents.Query().ByActor("admin-user").List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	audited := events()
	for _, tt := range []struct {
		field, value, id, message string
	}{
		{"columns", "25", "ke-columns", "0 (automatic) to 24"},
		{"columns", "-1", "ke-columns", "0 (automatic) to 24"},
		{"columns", "six", "ke-columns", "a whole number"},
		{"size", "xl", "ke-size", "s, m or l"},
		{"page_seconds", "2", "ke-pages", "a whole number of seconds from 3 to 120"},
		{"page_seconds", "121", "ke-pages", "a whole number of seconds from 3 to 120"},
		{"page_seconds", "0", "ke-pages", "a whole number of seconds from 3 to 120"},
		{"page_seconds", "7.5", "ke-pages", "a whole number of seconds from 3 to 120"},
		{"heartbeat", "often", "ke-heartbeat", "a duration such as 30s"},
		{"heartbeat", "2s", "ke-heartbeat", "between 5s and 1h"},
		{"view", "status=sideways", "ke-view", "want a board view"},
		{"view", "loc=4242", "ke-view", "there is no location 4242"},
		{"name", "", "ke-name", "give the display a name"},
		{"name", "drum FILL", "ke-name", "another display has this name"},
	} {
		res, body := a.post(edit, with(tt.field, tt.value))
		if res.StatusCode != http.StatusUnprocessableEntity || !besideField(body, tt.id, tt.message) {
			t.Errorf("%s=%q: %d, %q not beside the field", tt.field, tt.value, res.StatusCode, tt.message)
		}
		if tt.field != "size" && !strings.Contains(body, `id="`+tt.id+`" name="`+tt.field+`" value="`+tt.value+`"`) {
			t.Errorf("%s=%q: the typed value is gone", tt.field, tt.value)
		}
		if kioskURL.MatchString(body) || strings.Contains(body, token) {
			t.Errorf("%s=%q: a URL was shown", tt.field, tt.value)
		}
	}
	after, err := r.st.Kiosks.FindActive(ctx, "Side fill")
	if err != nil || !after.UpdatedAt.Equal(k.UpdatedAt) || after.PageSeconds != 15 || after.TileSize != model.TileLarge || after.ViewQuery != "" || after.Columns != 0 {
		t.Fatalf("refused values changed the display: %+v %v", after, err)
	}
	if n := events(); n != audited {
		t.Fatalf("refused values wrote %d audit rows", n-audited)
	}
	if res, _ := r.loggedIn(model.RoleOperator).post(edit, good); res.StatusCode != http.StatusForbidden {
		t.Fatalf("operator: %d", res.StatusCode)
	}

	// Every setting at once.
	res, _ = a.post(edit, good)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/kiosks?done=saved" {
		t.Fatalf("save: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	saved, err := r.s.kiosks.Authenticate(ctx, token) // the same URL
	if err != nil || saved.ID != k.ID || saved.Name != "Side fill left" || saved.ViewQuery != "status=attention" || saved.TileSize != model.TileSmall ||
		saved.Columns != 4 || saved.PageSeconds != 7 || saved.HeartbeatSeconds != 20 || !saved.ShowRF || saved.ShowAudio || !saved.UpdatedAt.After(k.UpdatedAt) {
		t.Fatalf("stored %+v %v", saved, err)
	}
	list, _ := r.st.AuditEvents.Query().ByActor("admin-user").List(ctx)
	if len(list) != audited+1 || list[0].Action != "kiosk.update" || len(list[0].ObjectIDs) != 1 || list[0].ObjectIDs[0] != k.ID {
		t.Fatalf("audit: %+v", list)
	}
	for _, want := range []string{`display "Side fill"`, `name "Side fill" → "Side fill left"`, "view the whole board → status=attention",
		"tile size l → s", "columns auto → 4", "RF meters off → on", "audio meters on → off", "heartbeat 15 s → 20 s", "seconds a page 15 s → 7 s"} {
		if !strings.Contains(list[0].Summary, want) {
			t.Errorf("audit summary %q lacks %q", list[0].Summary, want)
		}
	}
	if _, body := a.get("/admin/kiosks?done=saved"); !strings.Contains(body, "Display saved") || !strings.Contains(body, "size s, 4 columns, RF, 7 s a page") {
		t.Fatal("the list does not show the saved settings")
	}

	// The wall drawn before the save is told to reload; drawn again, it
	// shows the new settings and is left be.
	if res := heartbeat(drawn); res.StatusCode != http.StatusNoContent || res.Header.Get("HX-Refresh") != "true" {
		t.Fatalf("heartbeat of a wall drawn before the save: %d, HX-Refresh %q", res.StatusCode, res.Header.Get("HX-Refresh"))
	}
	page, now := wall()
	if now == drawn || !strings.Contains(page, `data-page-seconds="7"`) || !strings.Contains(page, "kiosk-s") || !strings.Contains(page, `data-columns="4"`) ||
		!strings.Contains(page, `hx-trigger="every 20s"`) {
		t.Fatal("the wall is not drawn with the new settings")
	}
	if res := heartbeat(now); res.StatusCode != http.StatusNoContent || res.Header.Get("HX-Refresh") != "" {
		t.Fatalf("heartbeat of a wall drawn with the saved settings: %d, HX-Refresh %q", res.StatusCode, res.Header.Get("HX-Refresh"))
	}
	// A heartbeat is no change to the settings.
	if res := heartbeat(now); res.Header.Get("HX-Refresh") != "" {
		t.Fatal("a heartbeat moved the settings version")
	}

	// Saving what is stored changes nothing: no audit row, no reload.
	if res, _ := a.post(edit, good); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/kiosks?done=unchanged" {
		t.Fatalf("save unchanged: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := events(); n != audited+1 {
		t.Fatalf("an unchanged save wrote %d audit rows", n-audited-1)
	}
	if res := heartbeat(now); res.Header.Get("HX-Refresh") != "" {
		t.Fatal("an unchanged save reloads the wall")
	}

	// Revoked: the heartbeat answers 410 whatever version it carries, and
	// the settings can no longer be edited.
	if res, _ := a.post(edit+"/revoke", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	for _, hb := range []string{drawn, now} {
		if res := heartbeat(hb); res.StatusCode != http.StatusGone || res.Header.Get("HX-Refresh") != "" {
			t.Errorf("heartbeat of a revoked display: %d, HX-Refresh %q", res.StatusCode, res.Header.Get("HX-Refresh"))
		}
	}
	if res, _ := a.post(edit, with("name", "Side fill again")); res.StatusCode != http.StatusNotFound {
		t.Fatalf("a revoked display's settings: %d", res.StatusCode)
	}
	if strings.Contains(logs.String(), token) {
		t.Fatal("the token was logged")
	}
}
