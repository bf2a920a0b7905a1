package web

import (
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/service"
)

var phoneURL = regexp.MustCompile(`http://[^"<\s]+/p/([A-Za-z0-9_-]{20,})`)

// TestPerformerPhoneLinkFromTheConsole: an admin makes a performer's phone
// link with a button on the performers page; the link is shown once, opens
// that performer's packs, never reaches the log, and a second button
// revokes it. Operators see neither button and may not post to them; a
// retired performer gets no link.
func TestPerformerPhoneLinkFromTheConsole(t *testing.T) {
	r := newShowRig(t)
	ctx := t.Context()
	zoe := &model.Performer{Name: "Zoe", Active: true}
	gone := &model.Performer{Name: "Retired", Active: false}
	for _, p := range []*model.Performer{zoe, gone} {
		if err := r.st.Performers.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := service.NewAssignments(r.st).Create(ctx, service.AssignmentInput{PerformerID: zoe.ID, ChannelID: r.channels[0].ID}); err != nil {
		t.Fatal(err)
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
	link := "/admin/performers/" + strconv.FormatInt(zoe.ID, 10) + "/link"
	unlink := "/admin/performers/" + strconv.FormatInt(zoe.ID, 10) + "/unlink"

	ops := r.loggedIn(model.RoleOperator)
	if res, body := ops.get("/admin/performers"); res.StatusCode != http.StatusOK || strings.Contains(body, "data-phone-link>") {
		t.Fatalf("operator's performers page: %d, offers a phone link: %v", res.StatusCode, strings.Contains(body, "data-phone-link>"))
	}
	if res, _ := ops.post(link, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("operator makes a link: %d, want 403", res.StatusCode)
	}

	a := r.loggedIn(model.RoleAdmin)
	_, page := a.get("/admin/performers")
	if !strings.Contains(page, `action="`+link+`"`) {
		t.Fatal("the performers page has no phone link button for Zoe")
	}
	if strings.Contains(page, `action="/admin/performers/`+strconv.FormatInt(gone.ID, 10)+`/link"`) {
		t.Error("a retired performer is offered a phone link")
	}
	if strings.Contains(page, `action="`+unlink+`"`) {
		t.Error("a revoke button before any link exists")
	}
	if res, _ := a.post("/admin/performers/"+strconv.FormatInt(gone.ID, 10)+"/link", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a link for a retired performer: %d, want 404", res.StatusCode)
	}

	res, body := a.post(link, nil)
	m := phoneURL.FindStringSubmatch(body)
	if res.StatusCode != http.StatusCreated || m == nil || res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("make link: %d, URL shown %v, Cache-Control %q", res.StatusCode, m != nil, res.Header.Get("Cache-Control"))
	}
	token := m[1]
	if !strings.Contains(body, `data-phone-links="1"`) || !strings.Contains(body, `action="`+unlink+`"`) {
		t.Error("the row does not count the live link or offer to revoke it")
	}
	phone := r.browser()
	if res, body := phone.get("/p/" + token); res.StatusCode != http.StatusOK ||
		!strings.Contains(body, `id="tile-`+strconv.FormatInt(r.channels[0].ID, 10)+`"`) ||
		strings.Contains(body, `id="tile-`+strconv.FormatInt(r.channels[1].ID, 10)+`"`) {
		t.Fatalf("the new link: %d, or not only Zoe's pack", res.StatusCode)
	}
	if _, body := a.get("/admin/performers"); strings.Contains(body, token) {
		t.Fatal("the link is shown again")
	}

	if res, _ := ops.post(unlink, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("operator revokes: %d, want 403", res.StatusCode)
	}
	if res, _ := a.post(unlink, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if res, _ := a.post(unlink, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("revoke with no live link: %d, want 404", res.StatusCode)
	}
	if _, body := a.get("/admin/performers?done=unlinked"); !strings.Contains(body, "Phone links revoked") || !strings.Contains(body, `data-phone-links="0"`) {
		t.Error("no notice, or the row still counts a live link")
	}
	if res, _ := phone.get("/p/" + token); res.StatusCode != http.StatusGone {
		t.Errorf("revoked link: %d, want 410", res.StatusCode)
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the link's secret reached the log")
	}
	if n := r.env.Count("audit_events", "action IN ('performer.link', 'performer.link.revoke') AND actor = 'admin-user'"); n != 2 {
		t.Errorf("%d audit events by the admin for the link, want 2", n)
	}
}
