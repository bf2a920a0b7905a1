package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"micboard/app/model"
	"micboard/app/service"
)

func TestAdminCreatesUsers(t *testing.T) {
	ctx := context.Background()
	r := newAuthRig(t, nil)
	a := r.loggedIn(model.RoleAdmin)
	if res, body := a.get("/admin/users"); res.StatusCode != http.StatusOK || !strings.Contains(body, `data-user="operator-user"`) {
		t.Fatalf("users page: %d", res.StatusCode)
	}
	count := func() int {
		n, err := r.st.Users.Query().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	tests := []struct {
		name             string
		username, passwd string
		role             string
		field, message   string
	}{
		{"empty", "", "", "viewer", "username", "enter a username"},
		{"too long", strings.Repeat("n", 65), rigPassword, "viewer", "username", "1 to 64 letters"},
		{"short password", "newbie", "short", "operator", "password", "at least 8 characters"},
		{"wrong role", "newbie", rigPassword, "root", "role", "viewer, operator or admin"},
		{"duplicate", "ADMIN-USER", rigPassword, "viewer", "username", "is taken"},
	}
	for _, tt := range tests {
		res, body := a.post("/admin/users?q=user", url.Values{"username": {tt.username}, "password": {tt.passwd}, "role": {tt.role}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", tt.name, res.StatusCode)
			continue
		}
		if !strings.Contains(body, tt.message) {
			t.Errorf("%s: no message %q beside the field", tt.name, tt.message)
		}
		// What was typed is kept (not the password), and so is the filter.
		if tt.username != "" && len(tt.username) <= 64 && !strings.Contains(body, fmt.Sprintf(`name="username" value="%s"`, tt.username)) {
			t.Errorf("%s: the typed username is gone", tt.name)
		}
		if tt.passwd != "" && strings.Contains(body, `value="`+tt.passwd+`"`) {
			t.Errorf("%s: the password was sent back", tt.name)
		}
		if !strings.Contains(body, `value="user"`) {
			t.Errorf("%s: the search was lost", tt.name)
		}
	}
	if count() != before {
		t.Fatal("bad input stored a user")
	}
	res, _ := a.post("/admin/users?q=new", url.Values{"username": {"newbie"}, "password": {rigPassword}, "role": {"operator"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/users?q=new&done=created" {
		t.Fatalf("create: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, body := a.get(res.Header.Get("Location")); !strings.Contains(body, "User created.") || !strings.Contains(body, `data-user="newbie"`) || strings.Contains(body, `data-user="viewer-user"`) {
		t.Fatal("the filtered table after create does not show just the new user")
	}
	events, err := r.st.AuditEvents.Query().WithAction("user.create").ByActor("admin-user").List(ctx)
	if err != nil || len(events) != 1 || !strings.Contains(events[0].Summary, "newbie as operator") {
		t.Fatalf("audit: %+v %v", events, err)
	}
	// The new user logs in.
	r.browser().login("newbie", rigPassword)
}

func TestAdminChangesRolesDisablesAndResetsPasswords(t *testing.T) {
	ctx := context.Background()
	r := newAuthRig(t, nil)
	a := r.loggedIn(model.RoleAdmin)
	v := r.users[model.RoleViewer]
	victim := r.loggedIn(model.RoleViewer)

	res, _ := a.post(fmt.Sprintf("/admin/users/%d/role", v.ID), url.Values{"role": {"operator"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("role: %d", res.StatusCode)
	}
	if u, _ := r.st.Users.Get(ctx, v.ID); u.Role != model.RoleOperator {
		t.Fatalf("role = %s", u.Role)
	}
	// The new role counts at the victim's next request.
	if res, _ := victim.get("/admin/"); res.StatusCode != http.StatusOK {
		t.Fatalf("promoted user on /admin/: %d", res.StatusCode)
	}
	res, body := a.post(fmt.Sprintf("/admin/users/%d/role", v.ID), url.Values{"role": {"superuser"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "viewer, operator or admin") {
		t.Fatalf("bad role: %d", res.StatusCode)
	}
	res, body = a.post(fmt.Sprintf("/admin/users/%d/password", v.ID), url.Values{"password": {"short"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at least 8 characters") {
		t.Fatalf("short password: %d", res.StatusCode)
	}
	res, _ = a.post(fmt.Sprintf("/admin/users/%d/disable", v.ID), nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	if res, _ := victim.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disabled user's open session still works: %d", res.StatusCode)
	}
	res, _ = a.post(fmt.Sprintf("/admin/users/%d/enable", v.ID), nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable: %d", res.StatusCode)
	}
	res, _ = a.post(fmt.Sprintf("/admin/users/%d/password", v.ID), url.Values{"password": {"brand-new-password"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("password: %d", res.StatusCode)
	}
	r.browser().login(v.Username, "brand-new-password")

	// The last admin cannot lock everyone out.
	me := r.users[model.RoleAdmin]
	res, body = a.post(fmt.Sprintf("/admin/users/%d/disable", me.ID), nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "last active admin") {
		t.Fatalf("disable the last admin: %d", res.StatusCode)
	}
	if res, _ := a.post("/admin/users/999999/disable", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown user: %d", res.StatusCode)
	}
	if res, _ := a.post("/admin/users/abc/disable", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("bad id: %d", res.StatusCode)
	}
	var actions []string
	events, _ := r.st.AuditEvents.Query().ByActor("admin-user").List(ctx)
	for _, e := range events {
		actions = append([]string{e.Action}, actions...)
	}
	if got := strings.Join(actions, ","); got != "user.role,user.disable,user.enable,user.password" {
		t.Fatalf("audit = %s", got)
	}
}

func TestUsersTableFiltersSortsAndPages(t *testing.T) {
	ctx := context.Background()
	r := newAuthRig(t, nil)
	users := service.NewUsers(r.st)
	for i := 0; i < 30; i++ {
		if _, err := users.Create(ctx, service.CLI, service.UserInput{Username: fmt.Sprintf("crew%02d", i), Password: rigPassword, Role: model.RoleViewer}); err != nil {
			t.Fatal(err)
		}
	}
	a := r.loggedIn(model.RoleAdmin)
	_, body := a.get("/admin/users?q=crew")
	if !strings.Contains(body, "30 users") || !strings.Contains(body, `data-user="crew00"`) || strings.Contains(body, `data-user="crew29"`) || !strings.Contains(body, "Page 1 of 2") {
		t.Fatalf("first page wrong: %.200s", body)
	}
	_, body = a.get("/admin/users?q=crew&page=2")
	if !strings.Contains(body, `data-user="crew29"`) || strings.Contains(body, `data-user="crew00"`) {
		t.Fatal("second page wrong")
	}
	_, body = a.get("/admin/users?q=crew&sort=username&desc=1")
	if strings.Index(body, `data-user="crew29"`) < 0 || strings.Contains(body, `data-user="crew00"`) {
		t.Fatal("descending sort wrong")
	}
	_, body = a.get("/admin/users?role=admin")
	if !strings.Contains(body, "1 users") || !strings.Contains(body, `data-user="admin-user"`) {
		t.Fatal("role filter wrong")
	}
	_, body = a.get("/admin/users?sort=password_hash&page=-4&role=root")
	if !strings.Contains(body, "33 users") {
		t.Fatal("bad parameters were not ignored")
	}
}

func TestAuditPageFilters(t *testing.T) {
	ctx := context.Background()
	r := newAuthRig(t, nil) // the rig's three users were created by "cli"
	a := r.loggedIn(model.RoleAdmin)
	if err := service.NewUsers(r.st).SetRole(ctx, service.UserActor(r.users[model.RoleAdmin]), r.users[model.RoleViewer].ID, model.RoleOperator); err != nil {
		t.Fatal(err)
	}
	_, body := a.get("/admin/audit")
	if strings.Count(body, `data-event="user.create"`) != 3 || strings.Count(body, `data-event="user.role"`) != 1 {
		t.Fatalf("unfiltered log: %.300s", body)
	}
	_, body = a.get("/admin/audit?actor=admin-user")
	if strings.Contains(body, `data-event="user.create"`) || !strings.Contains(body, "viewer-user: role viewer → operator") {
		t.Fatal("filter by user wrong")
	}
	_, body = a.get("/admin/audit?action=user.create")
	if strings.Count(body, `data-event="user.create"`) != 3 || strings.Contains(body, `data-event="user.role"`) {
		t.Fatal("filter by action wrong")
	}
	_, body = a.get("/admin/audit?from=2999-01-01T00:00")
	if !strings.Contains(body, "0 events") {
		t.Fatal("filter by time wrong")
	}
	res, body := a.get("/admin/audit?from=yesterday")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "want a date and time") || !strings.Contains(body, `value="yesterday"`) {
		t.Fatalf("bad date: %d", res.StatusCode)
	}
}
