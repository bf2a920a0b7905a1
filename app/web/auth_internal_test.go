package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"micboard/app/model"
	"micboard/app/service"
)

func TestBoardNeedsLoginUnlessPublic(t *testing.T) {
	r := newAuthRig(t, nil)
	b := r.browser()
	tests := []struct {
		path    string
		headers map[string]string
		status  int
	}{
		{"/", nil, http.StatusSeeOther},
		{"/?loc=2&sort=slot", nil, http.StatusSeeOther},
		{"/channels/1", nil, http.StatusSeeOther},
		{"/board/grid", map[string]string{"HX-Request": "true"}, http.StatusUnauthorized},
		{"/board/events", map[string]string{"Accept": "text/event-stream"}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		res, _ := b.do(http.MethodGet, tt.path, nil, tt.headers)
		if res.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.path, res.StatusCode, tt.status)
			continue
		}
		if tt.status == http.StatusSeeOther {
			want := "/login?" + url.Values{"next": {tt.path}}.Encode()
			if loc := res.Header.Get("Location"); loc != want {
				t.Errorf("%s: Location %q, want %q", tt.path, loc, want)
			}
		}
	}
	// Logged in, the board is there.
	v := r.loggedIn(model.RoleViewer)
	if res, body := v.get("/"); res.StatusCode != http.StatusOK || !strings.Contains(body, "viewer-user") {
		t.Fatalf("viewer's board: %d", res.StatusCode)
	}

	// MICBOARD_PUBLIC_BOARD=true: anyone reads it, and nothing else opens.
	pub := newAuthRig(t, map[string]string{"MICBOARD_PUBLIC_BOARD": "true"}).browser()
	for _, p := range []string{"/", "/board/grid"} {
		if res, _ := pub.get(p); res.StatusCode != http.StatusOK {
			t.Errorf("public %s: %d", p, res.StatusCode)
		}
	}
	if res, _ := pub.get("/admin/"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("public board opened /admin/: %d", res.StatusCode)
	}
}

func TestLoginStartsANewSession(t *testing.T) {
	r := newAuthRig(t, nil)
	b := r.browser()
	res, body := b.get("/login?next=%2Fchannels%2F7")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `name="csrf" value="`+b.csrf+`"`) || !strings.Contains(body, `name="next" value="/channels/7"`) {
		t.Fatalf("login page %d: %.600s", res.StatusCode, body)
	}
	// Without the token: refused before the password is looked at.
	res, _ = b.do(http.MethodPost, "/login", url.Values{"username": {"viewer-user"}, "password": {rigPassword}}, nil)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("login without CSRF token: %d", res.StatusCode)
	}
	res, body = b.post("/login", url.Values{"username": {"viewer-user"}, "password": {"wrong"}, "next": {"/channels/7"}})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong username or password") || !strings.Contains(body, `value="viewer-user"`) {
		t.Fatalf("wrong password: %d %.300s", res.StatusCode, body)
	}
	if _, ok := b.cookies[SessionName]; ok {
		t.Fatal("a failed login set a session")
	}
	oldToken := b.csrf
	res, _ = b.post("/login", url.Values{"username": {"VIEWER-user"}, "password": {rigPassword}, "next": {"/channels/7"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/channels/7" {
		t.Fatalf("login: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	var sess *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == SessionName {
			sess = c
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Secure || sess.MaxAge != 7*24*3600 {
		t.Fatalf("session cookie = %+v", sess)
	}
	if _, ok := b.cookies[csrfCookie]; ok {
		t.Fatal("the CSRF token of before the login is still set")
	}
	if _, body := b.get("/"); b.csrf == oldToken || !strings.Contains(body, "viewer-user") {
		t.Fatal("no new CSRF token after login")
	}
	// A logged-in user opening /login goes straight on.
	if res, _ := b.get("/login"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login page while logged in: %d", res.StatusCode)
	}
	res, _ = b.post("/logout", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := b.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("board after logout: %d", res.StatusCode)
	}
	// Over TLS (at a proxy) the cookie is Secure.
	tb := r.browser()
	tb.do(http.MethodGet, "/login", nil, map[string]string{"X-Forwarded-Proto": "https"})
	form := url.Values{"username": {"viewer-user"}, "password": {rigPassword}, "csrf": {tb.csrf}}
	res, _ = tb.do(http.MethodPost, "/login", form, map[string]string{"X-Forwarded-Proto": "https"})
	for _, c := range res.Cookies() {
		if (c.Name == SessionName || c.Name == csrfCookie) && c.MaxAge >= 0 && !c.Secure {
			t.Errorf("cookie %s over TLS is not Secure", c.Name)
		}
	}
}

func TestNextOnlyGoesToLocalPaths(t *testing.T) {
	r := newAuthRig(t, nil)
	tests := []struct{ next, want string }{
		{"/channels/3?x=1", "/channels/3?x=1"},
		{"/admin/users", "/admin/users"},
		{"//evil.example", "/"},
		{"https://evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/\t/evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"http:evil.example", "/"},
		{"evil.example", "/"},
		{"/login", "/"},
	}
	for _, tt := range tests {
		b := r.browser()
		b.get("/login")
		res, _ := b.post("/login", url.Values{"username": {"viewer-user"}, "password": {rigPassword}, "next": {tt.next}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tt.want {
			t.Errorf("next=%q: %d to %q, want %q", tt.next, res.StatusCode, res.Header.Get("Location"), tt.want)
		}
	}
	// A bad next is not even put into the form.
	b := r.browser()
	if _, body := b.get("/login?next=" + url.QueryEscape("//evil.example")); strings.Contains(body, "evil") {
		t.Fatal("the login form carries a foreign next")
	}
}

func TestDisablingOrNewPasswordEndsSessions(t *testing.T) {
	ctx := context.Background()
	r := newAuthRig(t, nil)
	users := service.NewUsers(r.st)
	admin := service.UserActor(r.users[model.RoleAdmin])
	for name, end := range map[string]func(id int64) error{
		"disable":  func(id int64) error { return users.Disable(ctx, admin, id) },
		"password": func(id int64) error { return users.SetPassword(ctx, admin, id, "another-password") },
	} {
		t.Run(name, func(t *testing.T) {
			u, err := users.Create(ctx, admin, service.UserInput{Username: "temp-" + name, Password: rigPassword, Role: model.RoleOperator})
			if err != nil {
				t.Fatal(err)
			}
			b := r.browser()
			b.login(u.Username, rigPassword)
			if res, _ := b.get("/admin/"); res.StatusCode != http.StatusOK {
				t.Fatalf("before: %d", res.StatusCode)
			}
			if err := end(u.ID); err != nil {
				t.Fatal(err)
			}
			res, _ := b.get("/admin/")
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
				t.Fatalf("after %s: %d %q", name, res.StatusCode, res.Header.Get("Location"))
			}
			if _, ok := b.cookies[SessionName]; ok {
				t.Fatal("the ended session's cookie was not deleted")
			}
		})
	}
}

func TestSessionsExpire(t *testing.T) {
	r := newAuthRig(t, map[string]string{"MICBOARD_SESSION_IDLE": "30m", "MICBOARD_SESSION_MAX_AGE": "2h"})
	now := time.Now()
	r.s.now = func() time.Time { return now }
	b := r.loggedIn(model.RoleViewer)
	ok := func(what string, want int) {
		t.Helper()
		if res, _ := b.get("/"); res.StatusCode != want {
			t.Fatalf("%s: %d, want %d", what, res.StatusCode, want)
		}
	}
	// Used every 20 minutes, the session lives until its absolute end.
	for i := 0; i < 5; i++ {
		now = now.Add(20 * time.Minute)
		ok("in use", http.StatusOK)
	}
	now = now.Add(21 * time.Minute) // 2h01 after login
	ok("past the absolute expiry", http.StatusSeeOther)

	b = r.loggedIn(model.RoleViewer)
	now = now.Add(31 * time.Minute)
	ok("idle past 30 minutes", http.StatusSeeOther)
}

func TestFailedLoginsAreRateLimited(t *testing.T) {
	r := newAuthRig(t, nil)
	b := r.browser()
	b.get("/login")
	for i := 0; i < loginFailuresPerUser; i++ {
		if res, _ := b.post("/login", url.Values{"username": {"admin-user"}, "password": {"guess"}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, res.StatusCode)
		}
	}
	// Now even the right password is not looked at.
	res, body := b.post("/login", url.Values{"username": {"ADMIN-user"}, "password": {rigPassword}})
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed logins") {
		t.Fatalf("after %d failures: %d, Retry-After %q", loginFailuresPerUser, res.StatusCode, res.Header.Get("Retry-After"))
	}
	// Another user is not locked out by someone guessing admin's password...
	b.login("viewer-user", rigPassword)

	// ...until the address itself has failed too often, with any names.
	g := r.browser()
	g.get("/login")
	for i := 0; i < loginFailuresPerAddr-loginFailuresPerUser; i++ {
		g.post("/login", url.Values{"username": {"nobody-" + string(rune('a'+i))}, "password": {"guess"}})
	}
	res, _ = g.post("/login", url.Values{"username": {"operator-user"}, "password": {rigPassword}})
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d failures from one address: %d", loginFailuresPerAddr, res.StatusCode)
	}
}

func TestFirstAdminSetup(t *testing.T) {
	r := newAuthRig(t, nil)
	// A database without users.
	if _, err := r.st.DB().NewDelete().Model((*model.User)(nil)).Where("true").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := r.browser()
	res, body := b.get("/login")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `action="/setup"`) || !strings.Contains(body, "Set up Micboard") {
		t.Fatalf("no set-up form: %.500s", body)
	}
	res, body = b.post("/setup", url.Values{"username": {"boss"}, "password": {rigPassword}, "password_confirm": {"other"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "the two passwords differ") || !strings.Contains(body, `value="boss"`) {
		t.Fatalf("mismatched passwords: %d", res.StatusCode)
	}
	res, body = b.post("/setup", url.Values{"username": {"bad name"}, "password": {rigPassword}, "password_confirm": {rigPassword}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "no spaces") {
		t.Fatalf("bad name: %d", res.StatusCode)
	}
	res, _ = b.post("/setup", url.Values{"username": {"boss"}, "password": {rigPassword}, "password_confirm": {rigPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/users" {
		t.Fatalf("set-up: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, body := b.get("/admin/users"); res.StatusCode != http.StatusOK || !strings.Contains(body, "boss") {
		t.Fatalf("admin page after set-up: %d", res.StatusCode)
	}
	// Once there is a user, set-up is over.
	o := r.browser()
	if _, body := o.get("/login"); strings.Contains(body, `action="/setup"`) {
		t.Fatal("set-up offered with a user")
	}
	res, _ = o.post("/setup", url.Values{"username": {"intruder"}, "password": {rigPassword}, "password_confirm": {rigPassword}})
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("second set-up: %d", res.StatusCode)
	}
	if _, err := r.st.Users.ByUsername(context.Background(), "intruder"); err == nil {
		t.Fatal("second set-up created a user")
	}
}
