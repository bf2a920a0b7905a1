package main

import (
	"context"
	"strings"
	"testing"

	"micboard/app/db/dbtest"
)

// TestUserAlertsQuietAndEscalation sets quiet hours, a time zone and an
// escalation rank with micboard user alerts, refuses bad ones and a rank
// that is taken, and clears them again.
func TestUserAlertsQuietAndEscalation(t *testing.T) {
	url := dbtest.NewURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url, "MICBOARD_PASSWORD": "a-long-password-1"}
	st := openTestStore(t, url)
	ctx := context.Background()
	for _, name := range []string{"ana", "ben"} {
		if code, _, stderr := runCmd(t, env, "user", "add", name, "--role", "operator"); code != 0 {
			t.Fatalf("add %s: %s", name, stderr)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"user", "alerts", "ana"}, "want NAME on|off"},
		{[]string{"user", "alerts", "ana", "--quiet", "23:00-07:00"}, "has no e-mail address yet"},
		{[]string{"user", "alerts", "ana", "on", "--email", "ana@example.org", "--quiet", "23:00"}, "want HH:MM-HH:MM"},
		{[]string{"user", "alerts", "ana", "on", "--email", "ana@example.org", "--tz", "Mars/Olympus"}, "IANA time zone"},
		{[]string{"user", "alerts", "ana", "on", "--email", "ana@example.org", "--escalation", "0"}, "want a rank"},
	} {
		code, _, stderr := runCmd(t, env, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
	code, stdout, stderr := runCmd(t, env, "user", "alerts", "ana", "on", "--email", "ana@example.org",
		"--quiet", "23:00-07:00", "--tz", "Europe/Berlin", "--escalation", "1")
	if code != 0 || !strings.Contains(stdout, "quiet hours 23:00–07:00 (Europe/Berlin") || !strings.Contains(stdout, "escalation contact 1") {
		t.Fatalf("set: exit %d: %s%s", code, stdout, stderr)
	}
	// Ben takes no alert mail but is the second contact.
	if code, stdout, stderr := runCmd(t, env, "user", "alerts", "ben", "--email", "ben@example.org", "--escalation", "1"); code == 0 ||
		!strings.Contains(stderr, "rank 1 is taken") {
		t.Errorf("a taken rank: exit %d: %s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := runCmd(t, env, "user", "alerts", "ben", "--email", "ben@example.org", "--escalation", "2"); code != 0 ||
		!strings.Contains(stdout, "gets no alert e-mail") {
		t.Errorf("ben second: exit %d: %s%s", code, stdout, stderr)
	}
	contacts, err := st.AlertSubscriptions.EscalationContacts(ctx)
	if err != nil || len(contacts) != 2 || contacts[0].Email != "ana@example.org" || contacts[1].Email != "ben@example.org" {
		t.Fatalf("contacts: %+v %v", contacts, err)
	}
	subs, err := st.AlertSubscriptions.Subscribers(ctx)
	if err != nil || len(subs) != 1 || subs[0].TimeZone != "Europe/Berlin" {
		t.Fatalf("subscribers: %+v %v", subs, err)
	}
	if q, ok := subs[0].Quiet(); !ok || q.String() != "23:00–07:00" {
		t.Errorf("ana's quiet hours %v %v", q, ok)
	}
	// Off again, and the instance's zone; the address and e-mail stay.
	if code, stdout, stderr := runCmd(t, env, "user", "alerts", "ana", "--quiet", "off", "--tz", "instance", "--escalation", "off"); code != 0 ||
		!strings.Contains(stdout, "no quiet hours; not an escalation contact") || !strings.Contains(stdout, "gets alert e-mail at ana@example.org") {
		t.Errorf("clear: exit %d: %s%s", code, stdout, stderr)
	}
	subs, _ = st.AlertSubscriptions.Subscribers(ctx)
	if len(subs) != 1 || subs[0].QuietFrom != nil || subs[0].TimeZone != "" || subs[0].EscalationRank != nil {
		t.Errorf("after clearing: %+v", subs)
	}
	if n := auditCount(t, st, "user.alerts"); n != 3 {
		t.Errorf("%d user.alerts audit events, want 3", n)
	}
}
