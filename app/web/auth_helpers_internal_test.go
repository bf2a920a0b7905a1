package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"micboard/app/config"
	"micboard/app/db/dbtest"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

func init() { service.BcryptCost = bcrypt.MinCost }

// authRig is a server over a fresh database with a private board (the
// default) and one user of each role, all with password "password-1".
type authRig struct {
	t     *testing.T
	s     *Server
	st    *store.Store
	users map[model.Role]*model.User
}

const rigPassword = "password-1"

func newAuthRig(t *testing.T, env map[string]string) *authRig {
	t.Helper()
	bdb := dbtest.New(t)
	st := store.New(bdb)
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["MICBOARD_SESSION_SECRET"]; !ok {
		env["MICBOARD_SESSION_SECRET"] = strings.Repeat("s", 32)
	}
	// Tests call the API many times from one address; its rate limits have
	// tests of their own (api_rate_limit_internal_test.go).
	for _, k := range []string{"MICBOARD_API_RATE_READ", "MICBOARD_API_RATE_WRITE"} {
		if _, ok := env[k]; !ok {
			env[k] = "1000000/1m"
		}
	}
	cfg, err := config.Parse(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Config: cfg, DB: bdb, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	r := &authRig{t: t, s: s, st: st, users: map[model.Role]*model.User{}}
	for _, role := range model.Roles {
		u, err := service.NewUsers(st).Create(context.Background(), service.CLI,
			service.UserInput{Username: string(role) + "-user", Password: rigPassword, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		r.users[role] = u
	}
	return r
}

// browser keeps cookies between requests, as a browser does, and never
// follows redirects (tests look at them).
type browser struct {
	t       *testing.T
	h       http.Handler
	cookies map[string]*http.Cookie
	csrf    string // the last token a page carried
}

func (r *authRig) browser() *browser {
	return &browser{t: r.t, h: r.s.Handler(), cookies: map[string]*http.Cookie{}}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// do sends one request; form (may be nil) is the urlencoded body.
func (b *browser) do(method, path string, form url.Values, headers map[string]string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	res := rec.Result()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	out, _ := io.ReadAll(res.Body)
	if m := csrfMeta.FindStringSubmatch(string(out)); m != nil {
		b.csrf = m[1]
	}
	return res, string(out)
}

func (b *browser) get(path string) (*http.Response, string) {
	return b.do(http.MethodGet, path, nil, nil)
}

// post sends a form with the page's CSRF token.
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	return b.do(http.MethodPost, path, form, nil)
}

// login logs in through the form and fails the test unless it worked.
func (b *browser) login(username, password string) {
	b.t.Helper()
	if res, body := b.get("/login"); res.StatusCode != http.StatusOK || b.csrf == "" {
		b.t.Fatalf("GET /login = %d (token %q): %.300s", res.StatusCode, b.csrf, body)
	}
	res, body := b.post("/login", url.Values{"username": {username}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login as %s = %d: %.500s", username, res.StatusCode, body)
	}
	// The page after login carries the new token.
	b.get(res.Header.Get("Location"))
}

func (r *authRig) loggedIn(role model.Role) *browser {
	b := r.browser()
	b.login(r.users[role].Username, rigPassword)
	return b
}
