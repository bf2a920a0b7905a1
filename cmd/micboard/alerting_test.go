package main

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"micboard/app/db"
	"micboard/app/db/dbtest"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// runWithStdin runs micboard with input on standard input.
func runWithStdin(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := command(t, env, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

func openTestStore(t *testing.T, url string) *store.Store {
	t.Helper()
	bdb, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	return store.New(bdb)
}

func auditCount(t *testing.T, st *store.Store, action string) int {
	t.Helper()
	events, err := st.AuditEvents.Query().WithAction(action).ByActor("cli").List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(events)
}

var phoneLink = regexp.MustCompile(`https?://[^\s]+/p/([A-Za-z0-9_-]{43})\n`)

func TestPerformerLinkAndRevoke(t *testing.T) {
	url := dbtest.NewURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url}
	st := openTestStore(t, url)
	ctx := context.Background()
	if err := st.Performers.Create(ctx, &model.Performer{Name: "Zoe", Active: true}); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCmd(t, env, "performer", "link", "zoe", "--base-url", "https://mics.example.org")
	m := phoneLink.FindStringSubmatch(stdout)
	if code != 0 || m == nil || !strings.Contains(stdout, "https://mics.example.org/p/") {
		t.Fatalf("link: exit %d: %s%s", code, stdout, stderr)
	}
	if _, err := service.AuthenticatePerformerLink(ctx, st, m[1]); err != nil {
		t.Errorf("the printed link does not open: %v", err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"performer", "link"}, "want one NAME or ID"},
		{[]string{"performer", "link", "Nobody"}, `no active performer "Nobody"`},
		{[]string{"performer", "link", "Zoe", "--base-url", "ftp://x"}, "--base-url"},
		{[]string{"performer", "unlink", "Zoe"}, "unknown subcommand"},
	} {
		code, _, stderr := runCmd(t, env, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", c.args, code, stderr, c.want)
		}
	}

	if code, stdout, stderr := runCmd(t, env, "performer", "link", "Zoe", "--revoke"); code != 0 || !strings.Contains(stdout, `1 link(s) of performer "Zoe" revoked`) {
		t.Fatalf("revoke: exit %d: %s%s", code, stdout, stderr)
	}
	if _, err := service.AuthenticatePerformerLink(ctx, st, m[1]); err != service.ErrLinkRevoked {
		t.Errorf("after --revoke the link answers %v, want ErrLinkRevoked", err)
	}
	if n := auditCount(t, st, "performer.link"); n != 1 {
		t.Errorf("%d performer.link audit events, want 1", n)
	}
	if n := auditCount(t, st, "performer.link.revoke"); n != 1 {
		t.Errorf("%d performer.link.revoke audit events, want 1", n)
	}
}

func TestWebhookAddListRemove(t *testing.T) {
	url := dbtest.NewURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url}
	st := openTestStore(t, url)
	ctx := context.Background()
	const secret = "a-webhook-secret-of-some-length"

	code, stdout, stderr := runWithStdin(t, env, secret+"\n", "webhook", "add", "https://show.example.org/hook", "--secret-stdin", "--kinds", "battery_critical,rf_loss")
	if code != 0 || !strings.Contains(stdout, "webhook 1 added: https://show.example.org/hook gets battery_critical,rf_loss") {
		t.Fatalf("add: exit %d: %s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, secret) {
		t.Error("add printed the secret")
	}
	hooks, err := st.Webhooks.List(ctx, true)
	if err != nil || len(hooks) != 1 || hooks[0].Secret != secret || !hooks[0].Wants(model.AlertRFLoss) || hooks[0].Wants(model.AlertBatteryLow) {
		t.Fatalf("stored webhooks: %+v %v", hooks, err)
	}
	for _, c := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"webhook", "add", "https://x.example.org"}, secret, "want --secret-stdin"},
		{[]string{"webhook", "add", "https://x.example.org", "--secret-stdin", "--secret", secret}, secret, "one of them"},
		{[]string{"webhook", "add", "https://x.example.org", "--secret", "short"}, "", "at least 16"},
		{[]string{"webhook", "add", "https://x.example.org", "--secret-stdin"}, "short\n", "at least 16"},
		{[]string{"webhook", "add", "https://x.example.org", "--secret-stdin"}, "", "no secret on standard input"},
		{[]string{"webhook", "add", "mailto:a2@example.org", "--secret-stdin"}, secret, "want an http:// or https:// URL"},
		{[]string{"webhook", "add", "https://x.example.org", "--secret-stdin", "--kinds", "battery_low,fire"}, secret, `"fire" is not an alert kind`},
		{[]string{"webhook", "remove", "42"}, "", "no active webhook 42"},
		{[]string{"webhook", "remove", "first"}, "", "want the webhook's ID"},
	} {
		code, _, stderr := runWithStdin(t, env, c.stdin, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", c.args, code, stderr, c.want)
		}
	}

	code, stdout, _ = runCmd(t, env, "webhook", "list")
	if code != 0 || !strings.Contains(stdout, "https://show.example.org/hook") || strings.Contains(stdout, secret) {
		t.Errorf("list: exit %d:\n%s", code, stdout)
	}
	if code, stdout, stderr := runCmd(t, env, "webhook", "remove", "1"); code != 0 || !strings.Contains(stdout, "webhook 1 (https://show.example.org/hook) removed") {
		t.Fatalf("remove: exit %d: %s%s", code, stdout, stderr)
	}
	if hooks, _ := st.Webhooks.List(ctx, true); len(hooks) != 0 {
		t.Errorf("%d active webhooks after remove", len(hooks))
	}
	if n := auditCount(t, st, "webhook.create"); n != 1 {
		t.Errorf("%d webhook.create audit events, want 1", n)
	}
	if n := auditCount(t, st, "webhook.remove"); n != 1 {
		t.Errorf("%d webhook.remove audit events, want 1", n)
	}

	// A script may give the secret on the command line; it is told why
	// that is worse, and the hook is stored all the same.
	code, stdout, stderr = runCmd(t, env, "webhook", "add", "https://foh.example.org/hook", "--secret", secret)
	if code != 0 || !strings.Contains(stdout, "added: https://foh.example.org/hook") || !strings.Contains(stderr, "process list") {
		t.Fatalf("add --secret: exit %d: %s%s", code, stdout, stderr)
	}
	if hooks, err := st.Webhooks.List(ctx, true); err != nil || len(hooks) != 1 || hooks[0].Secret != secret {
		t.Fatalf("stored after add --secret: %+v %v", hooks, err)
	}
}

func TestUserAlertsOnOff(t *testing.T) {
	url := dbtest.NewURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url, "MICBOARD_PASSWORD": "a-long-password-1"}
	st := openTestStore(t, url)
	ctx := context.Background()
	if code, _, stderr := runCmd(t, env, "user", "add", "ana", "--role", "operator"); code != 0 {
		t.Fatalf("add ana: %s", stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"user", "alerts", "ana", "on"}, "has no e-mail address yet"},
		{[]string{"user", "alerts", "ana", "maybe"}, "want NAME on|off"},
		{[]string{"user", "alerts", "ana", "on", "--email", "not an address"}, "want an address"},
		{[]string{"user", "alerts", "nobody", "off"}, "nobody"},
	} {
		code, _, stderr := runCmd(t, env, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", c.args, code, stderr, c.want)
		}
	}
	if code, stdout, stderr := runCmd(t, env, "user", "alerts", "ana", "on", "--email", "ana@example.org"); code != 0 || !strings.Contains(stdout, "ana@example.org") {
		t.Fatalf("on: exit %d: %s%s", code, stdout, stderr)
	}
	if got, err := st.AlertSubscriptions.Recipients(ctx); err != nil || len(got) != 1 || got[0] != "ana@example.org" {
		t.Errorf("recipients after on: %v %v", got, err)
	}
	if code, _, stderr := runCmd(t, env, "user", "alerts", "ana", "off"); code != 0 {
		t.Fatalf("off: %s", stderr)
	}
	if got, _ := st.AlertSubscriptions.Recipients(ctx); len(got) != 0 {
		t.Errorf("recipients after off: %v", got)
	}
	// On again keeps the address given before.
	if code, stdout, stderr := runCmd(t, env, "user", "alerts", "ana", "on"); code != 0 || !strings.Contains(stdout, "ana@example.org") {
		t.Errorf("on again: exit %d: %s%s", code, stdout, stderr)
	}
	if n := auditCount(t, st, "user.alerts"); n != 3 {
		t.Errorf("%d user.alerts audit events, want 3", n)
	}
}
