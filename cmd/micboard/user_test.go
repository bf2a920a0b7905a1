package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"micboard/app/db"
	"micboard/app/db/dbtest"
	"micboard/app/model"
	"micboard/app/store"
)

// auditLog lists "actor action" of every audit row, oldest first.
func auditLog(t *testing.T, url string) []string {
	t.Helper()
	ctx := context.Background()
	bdb, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	events, err := store.New(bdb).AuditEvents.Query().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(events))
	for i, e := range events {
		out[len(events)-1-i] = e.Actor + " " + e.Action
	}
	return out
}

func loadUser(t *testing.T, url, name string) *model.User {
	t.Helper()
	ctx := context.Background()
	bdb, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	u, err := store.New(bdb).Users.ByUsername(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUserCommands(t *testing.T) {
	url := dbtest.NewURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url, "MICBOARD_PASSWORD": "first-password"}

	code, out, stderr := runCmd(t, env, "user", "add", "Ana", "--role", "admin")
	if code != 0 || !strings.Contains(out, `"Ana" added as admin`) {
		t.Fatalf("add: %d %s %s", code, out, stderr)
	}
	u := loadUser(t, url, "ana")
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("first-password")) != nil {
		t.Fatal("the stored hash does not match MICBOARD_PASSWORD")
	}

	// Bad input: one line naming what is wrong, nothing stored.
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"user", "add", "bo", "--role", "root"}, env, "want viewer, operator or admin"},
		{[]string{"user", "add", "--role", "viewer"}, env, "want one NAME"},
		{[]string{"user", "add", "ANA", "--role", "viewer"}, env, "is taken"},
		{[]string{"user", "add", "bo b", "--role", "viewer"}, env, "no spaces"},
		{[]string{"user", "add", "bo", "--role", "viewer"}, map[string]string{"MICBOARD_DATABASE_URL": url, "MICBOARD_PASSWORD": "short"}, "at least 8 characters"},
		{[]string{"user", "passwd", "nobody"}, env, "not found"},
		{[]string{"user", "disable", "ana"}, env, "last active admin"},
		{[]string{"user", "fly"}, env, `unknown subcommand "fly"`},
	} {
		code, _, stderr := runCmd(t, tt.env, tt.args...)
		if code == 0 || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: %d %q, want one line with %q", tt.args, code, stderr, tt.want)
		}
	}

	// Without MICBOARD_PASSWORD, the password is read from standard input.
	cmd := command(t, map[string]string{"MICBOARD_DATABASE_URL": url}, "user", "add", "bo", "--role", "operator")
	cmd.Stdin = strings.NewReader("piped-password\n")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("add from stdin: %v %s", err, e.String())
	}
	if bcrypt.CompareHashAndPassword([]byte(loadUser(t, url, "bo").PasswordHash), []byte("piped-password")) != nil {
		t.Fatal("the piped password was not stored")
	}
	if strings.Contains(o.String()+e.String(), "piped-password") {
		t.Fatal("the password was printed")
	}

	epoch := loadUser(t, url, "bo").SessionEpoch
	cmd = command(t, map[string]string{"MICBOARD_DATABASE_URL": url}, "user", "passwd", "BO")
	cmd.Stdin = strings.NewReader("second-password\n")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "sessions have ended") {
		t.Fatalf("passwd: %v %s", err, out)
	}
	if got := loadUser(t, url, "bo"); got.SessionEpoch <= epoch || bcrypt.CompareHashAndPassword([]byte(got.PasswordHash), []byte("second-password")) != nil {
		t.Fatal("passwd did not change the password and end the sessions")
	}

	if code, out, stderr := runCmd(t, env, "user", "disable", "bo"); code != 0 || !strings.Contains(out, `"bo" disabled`) {
		t.Fatalf("disable: %d %s %s", code, out, stderr)
	}
	code, out, _ = runCmd(t, env, "user", "list")
	if code != 0 || !strings.Contains(out, "Ana") || !regexpLine(out, `bo\s+operator\s+disabled\s+never`) {
		t.Fatalf("list: %d\n%s", code, out)
	}
	if code, _, stderr := runCmd(t, env, "user", "enable", "bo"); code != 0 {
		t.Fatalf("enable: %s", stderr)
	}
	want := []string{"cli user.create", "cli user.create", "cli user.password", "cli user.disable", "cli user.enable"}
	if got := auditLog(t, url); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("audit = %q, want %q", got, want)
	}
}

func regexpLine(out, pattern string) bool {
	for _, line := range strings.Split(out, "\n") {
		if regexp.MustCompile(pattern).MatchString(line) {
			return true
		}
	}
	return false
}

func TestCommandChangesAreAudited(t *testing.T) {
	url := dbtest.NewURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url}
	for _, args := range [][]string{
		{"kiosk", "add", "Wings"},
		{"kiosk", "revoke", "Wings"},
		{"discover", "add", "Rack", "--kind", "manual", "--target", "127.0.0.1:1", "--vendor", "shure"},
	} {
		if code, _, stderr := runCmd(t, env, args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	// A refused change leaves no audit row.
	if code, _, _ := runCmd(t, env, "kiosk", "revoke", "Wings"); code == 0 {
		t.Fatal("revoked twice")
	}
	want := []string{"cli kiosk.create", "cli kiosk.revoke", "cli discovery.task.create"}
	if got := auditLog(t, url); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("audit = %q, want %q", got, want)
	}
}
