package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"micboard/app/model"
	"micboard/app/service"
)

// bearerCall sends one request with "Authorization: Bearer token" (none
// when token is "") and no cookie or CSRF token.
func bearerCall(t *testing.T, h http.Handler, token, method, path, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result(), rec.Body.String()
}

func (r *authRig) apiToken(name string, role model.Role) (*model.APIToken, string) {
	r.t.Helper()
	tok, secret, err := service.NewAPITokens(r.st).Create(r.t.Context(), service.CLI, service.APITokenInput{Name: name, Role: role})
	if err != nil {
		r.t.Fatal(err)
	}
	return tok, secret
}

// wantAPIError checks an API error answer's status and code.
func wantAPIError(t *testing.T, what string, res *http.Response, body string, status int, code string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if res.StatusCode != status || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("%s: %d %s, want %d with code %q", what, res.StatusCode, body, status, code)
	}
}

func TestBearerTokenActsWithItsRole(t *testing.T) {
	r := newAuthRig(t, nil)
	h := r.s.Handler()
	_, viewer := r.apiToken("LED wall", model.RoleViewer)
	_, operator := r.apiToken("Show control", model.RoleOperator)
	_, admin := r.apiToken("Prometheus", model.RoleAdmin)

	if res, body := bearerCall(t, h, viewer, http.MethodGet, "/api/v1/receivers", ""); res.StatusCode != http.StatusOK {
		t.Fatalf("viewer token reads receivers: %d %s", res.StatusCode, body)
	}
	res, body := bearerCall(t, h, "", http.MethodGet, "/api/v1/receivers", "")
	wantAPIError(t, "no credentials", res, body, http.StatusUnauthorized, "unauthorized")

	// A write: the role decides, and no CSRF token is asked of a Bearer call.
	res, body = bearerCall(t, h, viewer, http.MethodPost, "/api/v1/performers", `{"name":"Ada"}`)
	wantAPIError(t, "viewer token writes", res, body, http.StatusForbidden, "forbidden")
	res, body = bearerCall(t, h, operator, http.MethodPost, "/api/v1/performers", `{"name":"Ada"}`)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("operator token writes without a CSRF token: %d %s", res.StatusCode, body)
	}
	events, err := r.st.AuditEvents.Query().ByActor("api token Show control").List(t.Context())
	if err != nil || len(events) != 1 || events[0].UserID != nil {
		t.Fatalf("the audit log does not name the token: %+v %v", events, err)
	}

	// Bad tokens: 401 in the API's error shape, the same for each.
	for _, bad := range []string{"mbt_nope", viewer + "x", strings.ToUpper(viewer), "Basic " + viewer} {
		res, body := bearerCall(t, h, bad, http.MethodGet, "/api/v1/receivers", "")
		wantAPIError(t, "token "+bad, res, body, http.StatusUnauthorized, "unauthorized")
		if res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("token %q: no WWW-Authenticate", bad)
		}
	}
	// A bad token is refused even where nobody needs to log in.
	res, body = bearerCall(t, h, "mbt_nope", http.MethodGet, "/api/v1/openapi.json", "")
	wantAPIError(t, "bad token on a public route", res, body, http.StatusUnauthorized, "unauthorized")

	// A token opens no page: the console still wants a login.
	if res, _ := bearerCall(t, h, admin, http.MethodGet, "/admin/users", ""); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an admin token opened a console page: %d", res.StatusCode)
	}
	// It does open /metrics, for an admin token only.
	if res, _ := bearerCall(t, h, admin, http.MethodGet, "/metrics", ""); res.StatusCode != http.StatusOK {
		t.Fatalf("admin token on /metrics: %d", res.StatusCode)
	}
	if res, _ := bearerCall(t, h, viewer, http.MethodGet, "/metrics", ""); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("viewer token on /metrics: %d", res.StatusCode)
	}

	// A revoked token fails on its very next request.
	if _, err := service.NewAPITokens(r.st).Revoke(t.Context(), service.CLI, "LED wall"); err != nil {
		t.Fatal(err)
	}
	res, body = bearerCall(t, h, viewer, http.MethodGet, "/api/v1/receivers", "")
	wantAPIError(t, "revoked token", res, body, http.StatusUnauthorized, "unauthorized")
}

// A session cookie and a Bearer token on one request: the token alone
// counts, so a bad token is not rescued by the cookie.
func TestBearerTokenWinsOverTheSession(t *testing.T) {
	r := newAuthRig(t, nil)
	b := r.loggedIn(model.RoleAdmin)
	req := httptest.NewRequest(http.MethodGet, "/api/v1/receivers", nil)
	req.Header.Set("Authorization", "Bearer mbt_nope")
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	r.s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("bad token with a good session: %d", rec.Code)
	}
}

var tokenSecret = regexp.MustCompile(`data-token-secret>(mbt_[A-Za-z0-9_-]{43})<`)

func TestAdminTokensPage(t *testing.T) {
	r := newAuthRig(t, nil)
	logs := &lockedBuffer{}
	s, err := New(Deps{Config: r.s.cfg, DB: r.s.db, Store: r.st, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	r.s = s
	a := r.loggedIn(model.RoleAdmin)
	if _, body := a.get("/admin/"); !strings.Contains(body, `href="/admin/tokens"`) {
		t.Fatal("the console's navigation has no API tokens entry")
	}
	for _, tt := range []struct {
		name    string
		form    url.Values
		message string
	}{
		{"empty", url.Values{"name": {""}, "role": {"viewer"}}, "give the token a name"},
		{"bad role", url.Values{"name": {"LED wall"}, "role": {"root"}}, "viewer, operator or admin"},
	} {
		res, body := a.post("/admin/tokens", tt.form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.message) || tokenSecret.MatchString(body) {
			t.Errorf("%s: %d, no %q (or a token shown)", tt.name, res.StatusCode, tt.message)
		}
	}
	res, body := a.post("/admin/tokens", url.Values{"name": {"Show control"}, "role": {"operator"}})
	m := tokenSecret.FindStringSubmatch(body)
	if res.StatusCode != http.StatusCreated || m == nil || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	secret := m[1]
	if res, body := a.post("/admin/tokens", url.Values{"name": {"show CONTROL"}, "role": {"viewer"}}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "exists") {
		t.Fatalf("duplicate name: %d", res.StatusCode)
	}
	if res, _ := bearerCall(t, s.Handler(), secret, http.MethodGet, "/api/v1/receivers", ""); res.StatusCode != http.StatusOK {
		t.Fatalf("the new token: %d", res.StatusCode)
	}
	if _, body := a.get("/admin/tokens"); strings.Contains(body, secret) || !strings.Contains(body, `data-token="Show control"`) {
		t.Fatal("the list shows the secret, or not the token")
	}
	if strings.Contains(logs.String(), secret) {
		t.Fatal("the secret was logged")
	}
	tok, err := r.st.APITokens.ByName(t.Context(), "show control")
	if err != nil || tok.Role != model.RoleOperator || tok.CreatedBy != "admin-user" {
		t.Fatalf("stored %+v %v", tok, err)
	}
	revoke := "/admin/tokens/" + strconv.FormatInt(tok.ID, 10) + "/revoke"
	if res, _ := a.post(revoke, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if res, _ := a.post(revoke, nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("revoke twice: %d", res.StatusCode)
	}
	if res, _ := bearerCall(t, s.Handler(), secret, http.MethodGet, "/api/v1/receivers", ""); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a revoked token still answers: %d", res.StatusCode)
	}
	events, _ := r.st.AuditEvents.Query().ByActor("admin-user").List(t.Context())
	if len(events) != 2 || events[0].Action != "api_token.revoke" || events[1].Action != "api_token.create" {
		t.Fatalf("audit: %+v", events)
	}
	if res, _ := r.loggedIn(model.RoleOperator).get("/admin/tokens"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("operator: %d", res.StatusCode)
	}
}
