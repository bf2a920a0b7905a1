package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"micboard/app/alert"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/service"
)

// alertsRig is the show rig with the alerting attached and alerts stored.
func alertsRig(t *testing.T) *showRig {
	t.Helper()
	r := newShowRig(t)
	sys, err := alert.NewSystem(alert.SystemOptions{Board: r.s.board, Store: r.st})
	if err != nil {
		t.Fatal(err)
	}
	r.s.AttachAlerts(sys)
	return r
}

// addAlert stores an alert of the rig's first channel.
func (r *showRig) addAlert(kind model.AlertKind, state model.AlertState, msg string, at time.Time) *model.Alert {
	r.t.Helper()
	ch := r.channels[0].ID
	a := &model.Alert{Kind: kind, Severity: kind.Severity(), State: state, ChannelID: &ch, Slot: "HH01",
		Message: msg, Value: json.RawMessage(`{}`), OpenedAt: at}
	if state == model.AlertResolved {
		a.ResolvedAt, a.ResolvedBy = &at, model.ResolvedAuto
	}
	if err := r.st.Alerts.Create(context.Background(), a); err != nil {
		r.t.Fatal(err)
	}
	return a
}

func TestAlertsPageListsFiltersAndPages(t *testing.T) {
	r := alertsRig(t)
	now := time.Now()
	open := r.addAlert(model.AlertBatteryCritical, model.AlertOpen, "HH01 <b>Zoe</b> — battery critical, 12 min left", now)
	r.addAlert(model.AlertRFLoss, model.AlertResolved, "HH01 Zoe — RF lost", now.Add(-time.Hour))
	for i := range 55 {
		r.addAlert(model.AlertBatteryLow, model.AlertResolved, fmt.Sprintf("HH01 Zoe — battery low %d", i), now.Add(-2*time.Hour-time.Duration(i)*time.Minute))
	}

	v := r.loggedIn(model.RoleViewer)
	res, body := v.get("/alerts")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("viewer GET /alerts = %d", res.StatusCode)
	}
	if !strings.Contains(body, "HH01 &lt;b&gt;Zoe&lt;/b&gt; — battery critical") || strings.Contains(body, "<b>Zoe</b>") {
		t.Error("the device's name is not escaped on the alerts page")
	}
	if !strings.Contains(body, "57 alerts") || !strings.Contains(body, "Page 1 of 2") {
		t.Errorf("want 57 alerts over 2 pages: %s", firstMatch(body, "data-total"))
	}
	if strings.Contains(body, "/acknowledge") {
		t.Error("a viewer is offered to acknowledge")
	}

	for _, tt := range []struct {
		query      string
		want, miss string
	}{
		{"state=open", "battery critical", "RF lost"},
		{"state=resolved&kind=rf_loss", "RF lost", "battery critical"},
		{"severity=warning", "battery low 0", "RF lost"},
		{"state=sideways", "RF lost", ""}, // an unknown value filters nothing
	} {
		_, body := v.get("/alerts?" + tt.query)
		if !strings.Contains(body, tt.want) || (tt.miss != "" && strings.Contains(body, tt.miss)) {
			t.Errorf("?%s: want %q and not %q", tt.query, tt.want, tt.miss)
		}
	}
	if _, body := v.get("/alerts?page=2"); !strings.Contains(body, "battery low 54") || strings.Contains(body, "RF lost") {
		t.Error("page 2 does not hold the oldest alerts")
	}

	o := r.loggedIn(model.RoleOperator)
	_, body = o.get("/alerts?state=open")
	ack := "/alerts/" + strconv.FormatInt(open.ID, 10) + "/acknowledge?state=open"
	if !strings.Contains(body, `action="`+ack+`"`) {
		t.Errorf("operator is not offered to acknowledge alert %d", open.ID)
	}
}

func TestAcknowledgeAlert(t *testing.T) {
	r := alertsRig(t)
	a := r.addAlert(model.AlertBatteryCritical, model.AlertOpen, "HH01 Zoe — battery critical, 12 min left", time.Now())
	b := r.addAlert(model.AlertRFLoss, model.AlertOpen, "HH01 Zoe — RF lost", time.Now())
	path := func(id int64) string { return "/alerts/" + strconv.FormatInt(id, 10) + "/acknowledge" }

	v := r.loggedIn(model.RoleViewer)
	if res, _ := v.post(path(a.ID), nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer acknowledges: %d, want 403", res.StatusCode)
	}
	o := r.loggedIn(model.RoleOperator)
	o.get("/alerts")
	if res, _ := o.do(http.MethodPost, path(a.ID), url.Values{}, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("without a CSRF token: %d, want 403", res.StatusCode)
	}
	if got := r.env.Count("alerts", "state = 'open'"); got != 2 {
		t.Fatalf("refused requests changed alerts: %d open", got)
	}

	res, _ := o.post(path(a.ID)+"?state=open", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/alerts?done=acknowledged&state=open" {
		t.Errorf("acknowledge from the page: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	got, err := r.st.Alerts.Get(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != model.AlertAcknowledged || got.AcknowledgedByName != "operator-user" || got.AcknowledgedAt == nil {
		t.Errorf("after acknowledging: state %s by %q", got.State, got.AcknowledgedByName)
	}
	if n := r.env.Count("audit_events", "action = 'alert.acknowledge' AND actor = 'operator-user'"); n != 1 {
		t.Errorf("%d audit events for the acknowledgement, want 1", n)
	}
	if res, _ := o.post(path(a.ID), nil); res.StatusCode != http.StatusConflict {
		t.Errorf("acknowledging twice: %d, want 409", res.StatusCode)
	}

	// From a board's toast: htmx, the token in a header, an empty answer.
	res, _ = o.do(http.MethodPost, path(b.ID), url.Values{}, map[string]string{"HX-Request": "true", "X-CSRF-Token": o.csrf})
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("acknowledge from a toast: %d, want 204", res.StatusCode)
	}
	if n := r.env.Count("alerts", "state = 'acknowledged'"); n != 2 {
		t.Errorf("%d alerts acknowledged, want 2", n)
	}
}

// TestPerformerPhonePage: the secret link shows only that performer's
// channels, needs no login, sets no cookie, never logs its secret, and
// stops working when revoked; a wrong secret is 404, and guessing is
// rate-limited.
func TestPerformerPhonePage(t *testing.T) {
	r := newShowRig(t)
	ctx := context.Background()
	zoe := &model.Performer{Name: "Zoe", Active: true}
	ayo := &model.Performer{Name: "Ayo", Active: true}
	for _, p := range []*model.Performer{zoe, ayo} {
		if err := r.st.Performers.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	asg := service.NewAssignments(r.st)
	for _, a := range []service.AssignmentInput{
		{PerformerID: zoe.ID, ChannelID: r.channels[0].ID},
		{PerformerID: zoe.ID, ChannelID: r.channels[2].ID},
		{PerformerID: ayo.ID, ChannelID: r.channels[1].ID},
	} {
		if _, err := asg.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	board := live.NewBoard(live.Options{})
	if err := board.Load(ctx, r.st); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	s, err := New(Deps{Config: r.s.cfg, DB: r.s.db, Store: r.st, Board: board,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	r.s = s
	_, token, err := service.CreatePerformerLink(ctx, r.st, service.CLI, "zoe")
	if err != nil {
		t.Fatal(err)
	}

	anon := r.browser()
	res, body := anon.get("/p/" + token)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /p/<secret> = %d: %.300s", res.StatusCode, body)
	}
	for i, ch := range r.channels {
		shown := strings.Contains(body, fmt.Sprintf(`id="tile-%d"`, ch.ID))
		if want := i == 0 || i == 2; shown != want {
			t.Errorf("channel %s shown %v, want %v", ch.Name, shown, want)
		}
	}
	if len(res.Cookies()) != 0 {
		t.Errorf("the phone page set cookies %v: the link is the only credential", res.Cookies())
	}
	if strings.Contains(body, "csrf-token") {
		t.Error("the phone page carries a CSRF token: it posts nothing")
	}
	if res, _ := anon.get("/p/" + token + "/grid"); res.StatusCode != http.StatusOK {
		t.Errorf("grid: %d", res.StatusCode)
	}
	if res, _ := anon.get("/p/" + strings.Repeat("A", 43)); res.StatusCode != http.StatusNotFound {
		t.Errorf("a wrong secret: %d, want 404", res.StatusCode)
	}

	// Guessing is rate-limited per client, as for wall displays; the
	// performer elsewhere is not slowed.
	guess := func(addr, path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = addr + ":50000"
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec
	}
	wrong := 0
	for ; wrong < 100; wrong++ {
		rec := guess("198.51.100.7", "/p/"+strings.Repeat("B", 41)+strconv.Itoa(10+wrong))
		if rec.Code == http.StatusTooManyRequests {
			break
		}
		if rec.Code != http.StatusNotFound {
			t.Fatalf("guess %d: %d", wrong, rec.Code)
		}
	}
	if wrong == 0 || wrong >= 20 {
		t.Errorf("limited after %d wrong guesses", wrong)
	}
	if rec := guess("198.51.100.7", "/p/"+token); rec.Code != http.StatusTooManyRequests {
		t.Errorf("the guesser's next try was looked up: %d", rec.Code)
	}
	if rec := guess("198.51.100.8", "/p/"+token); rec.Code != http.StatusOK {
		t.Errorf("the performer elsewhere: %d", rec.Code)
	}

	if _, n, err := service.RevokePerformerLinks(ctx, r.st, service.CLI, "Zoe", time.Now()); err != nil || n != 1 {
		t.Fatalf("revoke: %d, %v", n, err)
	}
	if res, body := anon.get("/p/" + token); res.StatusCode != http.StatusGone || !strings.Contains(body, "This link was revoked") {
		t.Errorf("revoked link: %d", res.StatusCode)
	}
	if res, _ := anon.get("/p/" + token + "/events"); res.StatusCode != http.StatusGone {
		t.Errorf("revoked link's stream: %d, want 410", res.StatusCode)
	}
	if !strings.Contains(logs.String(), "/p/REDACTED") {
		t.Error("the requests were not logged at all")
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the link's secret reached the log")
	}
	if n := r.env.Count("audit_events", "action IN ('performer.link', 'performer.link.revoke')"); n != 2 {
		t.Errorf("%d audit events for the link, want 2", n)
	}
}

// firstMatch returns the line of body holding s, for a failure message.
func firstMatch(body, s string) string {
	for line := range strings.SplitSeq(body, "\n") {
		if strings.Contains(line, s) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
