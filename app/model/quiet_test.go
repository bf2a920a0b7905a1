package model

import (
	"testing"
	"time"
)

// TestQuietHours pins quiet hours across midnight, in the user's zone or
// the instance's, and the rule that only critical alerts pass them.
func TestQuietHours(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	night, err := ParseQuietHours("23:00-07:00")
	if err != nil {
		t.Fatal(err)
	}
	day, err := ParseQuietHours("09:30–17:00")
	if err != nil {
		t.Fatal(err)
	}
	if night.String() != "23:00–07:00" || day.String() != "09:30–17:00" {
		t.Fatalf("strings %s, %s", night, day)
	}
	at := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		q    QuietHours
		at   time.Time
		want bool
	}{
		{night, at(22, 59), false},
		{night, at(23, 0), true},
		{night, at(23, 59), true},
		{night, at(0, 0), true},
		{night, at(3, 30), true},
		{night, at(6, 59), true},
		{night, at(7, 0), false},
		{night, at(12, 0), false},
		{day, at(9, 29), false},
		{day, at(9, 30), true},
		{day, at(16, 59), true},
		{day, at(17, 0), false},
		{day, at(23, 30), false},
	} {
		if got := c.q.Contains(c.at); got != c.want {
			t.Errorf("%s at %s: quiet %v, want %v", c.q, c.at.Format("15:04"), got, c.want)
		}
	}
	for _, bad := range []string{"", "23:00", "23:00-23:00", "25:00-07:00", "11pm-7am"} {
		if _, err := ParseQuietHours(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}

	// 22:30 UTC is 23:30 in Berlin (winter): quiet for a user there, not
	// for one in the instance's zone (UTC); 06:30 UTC is 07:30 in Berlin.
	from, to := night.From, night.To
	inBerlin := &AlertSubscription{QuietFrom: &from, QuietTo: &to, TimeZone: "Europe/Berlin"}
	instance := &AlertSubscription{QuietFrom: &from, QuietTo: &to}
	none := &AlertSubscription{}
	for _, c := range []struct {
		name string
		s    *AlertSubscription
		at   time.Time
		def  *time.Location
		sev  AlertSeverity
		want bool
	}{
		{"Berlin 23:30, warning", inBerlin, at(22, 30), time.UTC, SeverityWarning, false},
		{"Berlin 23:30, critical", inBerlin, at(22, 30), time.UTC, SeverityCritical, true},
		{"Berlin 07:30, warning", inBerlin, at(6, 30), time.UTC, SeverityWarning, true},
		{"UTC 22:30, warning", instance, at(22, 30), time.UTC, SeverityWarning, true},
		{"instance in Berlin 23:30, warning", instance, at(22, 30), berlin, SeverityWarning, false},
		{"UTC 02:00, warning", instance, at(2, 0), time.UTC, SeverityWarning, false},
		{"UTC 02:00, critical", instance, at(2, 0), time.UTC, SeverityCritical, true},
		{"no quiet hours, 02:00 warning", none, at(2, 0), time.UTC, SeverityWarning, true},
	} {
		if got := c.s.Wants(c.sev, c.at, c.def); got != c.want {
			t.Errorf("%s: sent %v, want %v", c.name, got, c.want)
		}
	}
}
