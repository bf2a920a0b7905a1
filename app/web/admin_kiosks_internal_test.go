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

// TestKioskPageInterval: a display's seconds a page are its own, set when
// it is created and changed on the admin page without a new URL; a refused
// value changes nothing and says why; the wall's grid carries the value.
func TestKioskPageInterval(t *testing.T) {
	r := newShowRig(t)
	a := r.loggedIn(model.RoleAdmin)
	res, body := a.post("/admin/kiosks", url.Values{"name": {"Side fill"}, "page_seconds": {"15"}})
	m := kioskURL.FindStringSubmatch(body)
	if res.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("create: %d", res.StatusCode)
	}
	token := m[1]
	k, err := r.st.Kiosks.FindActive(t.Context(), "Side fill")
	if err != nil || k.PageSeconds != 15 {
		t.Fatalf("stored %+v %v", k, err)
	}
	wall := func() string {
		t.Helper()
		res, body := r.browser().get("/kiosk/" + token)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("the display's URL: %d", res.StatusCode)
		}
		return body
	}
	if body := wall(); !strings.Contains(body, `data-page-seconds="15"`) {
		t.Fatal("the wall does not turn its pages every 15 s")
	}
	paging := "/admin/kiosks/" + strconv.FormatInt(k.ID, 10) + "/paging"
	for _, bad := range []string{"2", "121", "0", "-5", "often", "", "7.5"} {
		res, body := a.post(paging, url.Values{"page_seconds": {bad}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "a whole number of seconds from 3 to 120") ||
			!strings.Contains(body, `value="`+bad+`" inputmode="numeric" size="3"`) {
			t.Errorf("%q: %d, no reason or the typed value lost", bad, res.StatusCode)
		}
	}
	if k, _ := r.st.Kiosks.FindActive(t.Context(), "Side fill"); k.PageSeconds != 15 {
		t.Fatalf("refused values changed the interval to %d", k.PageSeconds)
	}
	if res, _ := r.loggedIn(model.RoleOperator).post(paging, url.Values{"page_seconds": {"7"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("operator: %d", res.StatusCode)
	}
	if res, _ := a.post(paging, url.Values{"page_seconds": {" 7 "}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	if k, _ := r.st.Kiosks.FindActive(t.Context(), "Side fill"); k.PageSeconds != 7 {
		t.Fatalf("stored %d, want 7", k.PageSeconds)
	}
	// The same URL, the new pace.
	if body := wall(); !strings.Contains(body, `data-page-seconds="7"`) {
		t.Fatal("the wall does not turn its pages every 7 s")
	}
	if _, body := a.get("/admin/kiosks?done=paging"); !strings.Contains(body, "Page interval saved") || !strings.Contains(body, `name="page_seconds" value="7"`) {
		t.Fatal("the list does not show the saved interval")
	}
	events, _ := r.st.AuditEvents.Query().ByActor("admin-user").List(t.Context())
	if len(events) == 0 || events[0].Action != "kiosk.paging" || !strings.Contains(events[0].Summary, "every 7 s (was 15 s)") {
		t.Fatalf("audit: %+v", events)
	}
	if res, _ := a.post("/admin/kiosks/"+strconv.FormatInt(k.ID, 10)+"/revoke", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if res, _ := a.post(paging, url.Values{"page_seconds": {"9"}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("a revoked display's interval: %d", res.StatusCode)
	}
}
