package main

import (
	"regexp"
	"strings"
	"testing"

	"micboard/app/db/dbtest"
)

var printedToken = regexp.MustCompile(`(?m)^(mbt_[A-Za-z0-9_-]{43})$`)

func TestTokenCommands(t *testing.T) {
	url := dbtest.NewURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url}

	code, out, stderr := runCmd(t, env, "token", "add", "Show control", "--role", "operator")
	m := printedToken.FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "shown only now") {
		t.Fatalf("add: %d %s %s", code, out, stderr)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "add", "LED wall", "--role", "root"}, "want viewer, operator or admin"},
		{[]string{"token", "add", "--role", "viewer"}, "want one NAME"},
		{[]string{"token", "add", "show CONTROL", "--role", "viewer"}, "exists"},
		{[]string{"token", "revoke", "nobody"}, "not found"},
		{[]string{"token", "fly"}, `unknown subcommand "fly"`},
	} {
		code, _, stderr := runCmd(t, env, tt.args...)
		if code != 1 || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: %d %q, want one line with %q", tt.args, code, stderr, tt.want)
		}
	}

	code, out, _ = runCmd(t, env, "token", "list")
	if code != 0 || !strings.Contains(out, "Show control") || !strings.Contains(out, "operator") || !strings.Contains(out, "active") || strings.Contains(out, m[1]) {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out, stderr := runCmd(t, env, "token", "revoke", "show control"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %d %s %s", code, out, stderr)
	}
	if code, out, _ := runCmd(t, env, "token", "list"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("list after revoke: %d %s", code, out)
	}
	if got := auditLog(t, url); strings.Join(got, ",") != "cli api_token.create,cli api_token.revoke" {
		t.Fatalf("audit: %v", got)
	}
}
