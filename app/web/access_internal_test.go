package web

import (
	"context"
	"crypto/md5"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"micboard/app/model"
	"micboard/app/service"
)

// dbSnapshot fingerprints every table of the database, to prove that a
// refused request changed nothing.
func dbSnapshot(t *testing.T, db bun.IDB) string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	err := db.NewSelect().Table("information_schema.tables").Column("table_name").
		Where("table_schema = 'public' AND table_type = 'BASE TABLE'").Order("table_name").Scan(ctx, &tables)
	if err != nil {
		t.Fatal(err)
	}
	h := md5.New()
	for _, name := range tables {
		var sum string
		err := db.NewSelect().TableExpr("? AS t", bun.Ident(name)).
			ColumnExpr("coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '')").Scan(ctx, &sum)
		if err != nil {
			t.Fatalf("snapshot %s: %v", name, err)
		}
		fmt.Fprintf(h, "%s=%s;", name, sum)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// routePath fills a route's parameters with values that reach its handler.
func routePath(r *echo.Route, kioskToken string) string {
	return strings.NewReplacer(":token", kioskToken, ":id", "1", "*", "css/app.css").Replace(r.Path)
}

// TestEveryRouteIsGuarded walks every registered route and proves the
// table in access.go holds: each route is in it; each non-public route
// refuses an anonymous request; each state-changing route refuses a
// request without a CSRF token (403, nothing changed); each admin route
// refuses an operator and each operator route a viewer.
func TestEveryRouteIsGuarded(t *testing.T) {
	ctx := context.Background()
	r := newAuthRig(t, nil)
	_, token, err := service.NewKiosks(r.st).Create(ctx, service.KioskInput{Name: "Wall"})
	if err != nil {
		t.Fatal(err)
	}
	admin, operator, viewer := r.loggedIn(model.RoleAdmin), r.loggedIn(model.RoleOperator), r.loggedIn(model.RoleViewer)
	checked := map[access]int{}

	for _, route := range r.s.echo.Routes() {
		name := r.s.routeByKey[route.Method+" "+route.Path]
		need, listed := routeAccess[name]
		if !listed || need == accessNone {
			t.Errorf("%s %s (%q) is missing from routeAccess", route.Method, route.Path, name)
			continue
		}
		// The table itself: the console needs at least an operator, and
		// accounts and the audit log are for admins only.
		if strings.HasPrefix(route.Path, "/admin/") && need < accessOperator {
			t.Errorf("%s %s is in the console but open to %s", route.Method, route.Path, need)
		}
		if (strings.HasPrefix(route.Path, "/admin/users") || strings.HasPrefix(route.Path, "/admin/audit")) && need != accessAdmin {
			t.Errorf("%s %s must be admin-only, is %s", route.Method, route.Path, need)
		}
		path := routePath(route, token)
		what := fmt.Sprintf("%s %s (%s, %s)", route.Method, path, name, need)
		changes := !isSafeMethod(route.Method)

		// Anonymous.
		if need != accessPublic && need != accessKiosk {
			res, _ := r.browser().do(route.Method, path, url.Values{}, nil)
			login := res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login?next=")
			if res.StatusCode != http.StatusUnauthorized && !login {
				t.Errorf("%s: anonymous got %d, want 401 or a redirect to /login", what, res.StatusCode)
			}
			checked[need]++
		}

		// No CSRF token, as the most powerful user: 403, and nothing changed.
		if changes && need != accessKiosk {
			before := dbSnapshot(t, r.st.DB())
			res, _ := admin.do(route.Method, path, url.Values{"username": {"x"}, "password": {"password-x"}, "role": {"viewer"}}, nil)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s: without a CSRF token got %d, want 403", what, res.StatusCode)
			}
			if dbSnapshot(t, r.st.DB()) != before {
				t.Errorf("%s: a request without a CSRF token changed the database", what)
			}
			// A token that is not the cookie's is no better.
			res, _ = admin.do(route.Method, path, url.Values{"csrf": {"forged-token"}}, nil)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s: with a forged CSRF token got %d, want 403", what, res.StatusCode)
			}
		}

		// One role too few, with a valid token: 403 and nothing changed.
		var weaker *browser
		switch need {
		case accessAdmin:
			weaker = operator
		case accessOperator:
			weaker = viewer
		}
		if weaker != nil {
			before := dbSnapshot(t, r.st.DB())
			form := url.Values{"csrf": {weaker.csrf}, "role": {"admin"}, "password": {"password-x"}, "username": {"y"}}
			res, _ := weaker.do(route.Method, path, form, nil)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s: a user one role short got %d, want 403", what, res.StatusCode)
			}
			if changes && dbSnapshot(t, r.st.DB()) != before {
				t.Errorf("%s: a refused user changed the database", what)
			}
		}
	}
	for _, a := range []access{accessBoard, accessOperator, accessAdmin} {
		if checked[a] == 0 {
			t.Errorf("no %s route was checked", a)
		}
	}
}

// A route that is not in the table stops the server from starting.
func TestRouteMissingFromTableFailsStart(t *testing.T) {
	s := newServerForTest(t)
	s.echo.POST("/admin/forgotten", func(c echo.Context) error { return nil }).Name = "admin.forgotten"
	err := s.indexRoutes()
	if err == nil || !strings.Contains(err.Error(), "admin.forgotten") {
		t.Fatalf("indexRoutes = %v, want an error naming the route", err)
	}
	s.echo.GET("/admin/unnamed", func(c echo.Context) error { return nil })
	delete(routeAccess, "admin.forgotten")
	if err := s.indexRoutes(); err == nil {
		t.Fatal("an unnamed route was accepted")
	}
}

func newServerForTest(t *testing.T) *Server {
	t.Helper()
	s, err := New(Deps{Config: configFrom(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Kiosk routes need no session and no CSRF token: the URL's token is the
// credential. A wrong token is still refused.
func TestKioskRoutesNeedOnlyTheirToken(t *testing.T) {
	ctx := context.Background()
	r := newAuthRig(t, nil)
	_, token, err := service.NewKiosks(r.st).Create(ctx, service.KioskInput{Name: "Wall"})
	if err != nil {
		t.Fatal(err)
	}
	b := r.browser()
	if res, body := b.get("/kiosk/" + token); res.StatusCode != http.StatusOK || strings.Contains(body, "csrf-token") {
		t.Fatalf("kiosk page: %d (a CSRF token on a kiosk page: %t)", res.StatusCode, strings.Contains(body, "csrf-token"))
	}
	if res, _ := b.do(http.MethodPost, "/kiosk/"+token+"/heartbeat", nil, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("heartbeat: %d", res.StatusCode)
	}
	if res, _ := b.do(http.MethodPost, "/kiosk/not-a-token/heartbeat", nil, nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("heartbeat with a wrong token: %d", res.StatusCode)
	}
}

// A state-changing request started by another site is refused even with
// a token, and a same-origin one still needs the token.
func TestCrossSiteRequestsAreRefused(t *testing.T) {
	r := newAuthRig(t, nil)
	a := r.loggedIn(model.RoleAdmin)
	form := url.Values{"username": {"newbie"}, "password": {rigPassword}, "role": {"viewer"}, "csrf": {a.csrf}}
	if res, _ := a.do(http.MethodPost, "/admin/users", form, map[string]string{"Sec-Fetch-Site": "cross-site"}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", res.StatusCode)
	}
	noToken := url.Values{"username": {"newbie"}, "password": {rigPassword}, "role": {"viewer"}}
	if res, _ := a.do(http.MethodPost, "/admin/users", noToken, map[string]string{"Sec-Fetch-Site": "same-origin"}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("same-origin post without a token: %d", res.StatusCode)
	}
	// The htmx header carries the token as well as the form field does.
	res, _ := a.do(http.MethodPost, "/admin/users", noToken, map[string]string{"X-CSRF-Token": a.csrf, "Sec-Fetch-Site": "same-origin"})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("post with the header token: %d", res.StatusCode)
	}
}
