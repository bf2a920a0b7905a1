package alert_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"micboard/app/alert"
	"micboard/app/db/dbtest"
	"micboard/app/model"
	"micboard/app/store"
)

// TestQuietHoursMail sends alert e-mail through a real SMTP sink to a user
// with overnight quiet hours in Berlin, one with quiet hours in the
// instance's zone (UTC) and one without: a warning inside someone's quiet
// hours, before and after midnight, skips them and says so; a critical
// alert reaches everyone; at the end of the range mail flows again.
func TestQuietHoursMail(t *testing.T) {
	ctx := context.Background()
	st := store.New(dbtest.New(t))
	night, err := model.ParseQuietHours("23:00-07:00")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, zone string
		quiet      bool
	}{{"berlin", "Europe/Berlin", true}, {"utc", "", true}, {"always", "", false}} {
		u := &model.User{Username: c.name, PasswordHash: "x", Role: model.RoleOperator, Active: true}
		must(t, st.Users.Create(ctx, u))
		sub := &model.AlertSubscription{UserID: u.ID, Email: c.name + "@example.org", Enabled: true, TimeZone: c.zone}
		if c.quiet {
			sub.QuietFrom, sub.QuietTo = &night.From, &night.To
		}
		must(t, st.AlertSubscriptions.Set(ctx, sub))
	}
	smtp := startSMTP(t)
	mail, err := alert.NewEmail("smtp://"+smtp.ln.Addr().String(), "micboard@example.org", st)
	must(t, err)
	mail.Zone = time.UTC

	utc := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, time.UTC) }
	for i, c := range []struct {
		name     string
		at       time.Time
		sev      model.AlertSeverity
		to, note string
	}{
		{"21:30 UTC (22:30 Berlin)", utc(21, 30), model.SeverityWarning, "berlin, utc, always", ""},
		{"22:30 UTC (23:30 Berlin)", utc(22, 30), model.SeverityWarning, "utc, always", "berlin@example.org (23:00–07:00 Europe/Berlin)"},
		{"23:30 UTC, warning", utc(23, 30), model.SeverityWarning, "always", "berlin@example.org (23:00–07:00 Europe/Berlin), utc@example.org (23:00–07:00 UTC)"},
		{"23:30 UTC, critical", utc(23, 30), model.SeverityCritical, "berlin, utc, always", ""},
		{"00:30 UTC, after midnight", utc(0, 30), model.SeverityWarning, "always", "berlin@example.org (23:00–07:00 Europe/Berlin), utc@example.org (23:00–07:00 UTC)"},
		{"06:30 UTC (07:30 Berlin)", utc(6, 30), model.SeverityWarning, "berlin, always", "utc@example.org (23:00–07:00 UTC)"},
		{"07:00 UTC, the end of the range", utc(7, 0), model.SeverityWarning, "berlin, utc, always", ""},
	} {
		ev := alert.Event{Event: model.EventOpened, At: c.at, Alert: model.Alert{ID: int64(i + 1), Kind: model.AlertBatteryLow,
			Severity: c.sev, Message: "HH03 Zoe — battery", OpenedAt: c.at}}
		note, err := mail.DeliverNoted(ctx, ev)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var want []string
		for _, n := range strings.Split(c.to, ", ") {
			want = append(want, n+"@example.org")
		}
		msgs := smtp.messages()
		if len(msgs) != i+1 {
			t.Fatalf("%s: %d messages, want %d", c.name, len(msgs), i+1)
		}
		if got := header(msgs[i], "To"); got != strings.Join(sorted(want), ", ") {
			t.Errorf("%s: sent to %q, want %q", c.name, got, strings.Join(sorted(want), ", "))
		}
		wantNote := ""
		if c.note != "" {
			wantNote = "skipped in quiet hours: " + c.note
		}
		if note != wantNote {
			t.Errorf("%s: note %q, want %q", c.name, note, wantNote)
		}
	}
}

func header(msg, name string) string {
	for _, l := range strings.Split(msg, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			return v
		}
	}
	return ""
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
