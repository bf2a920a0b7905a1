package model

import (
	"fmt"
	"strings"
	"time"
)

// QuietHours is a daily range of a user's local time in which their alert
// e-mail waits for nothing but critical alerts (DeliverInQuietHours). From
// and To are minutes after midnight; a range whose end is not after its
// start runs overnight (23:00–07:00).
type QuietHours struct {
	From, To int
}

// ParseQuietHours reads "HH:MM-HH:MM" (23:00-07:00); start and end may not
// be equal.
func ParseQuietHours(s string) (QuietHours, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "–", "-")
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("quiet hours %q: want HH:MM-HH:MM, such as 23:00-07:00", s)
	}
	from, err1 := parseClock(a)
	to, err2 := parseClock(b)
	if err1 != nil || err2 != nil {
		return QuietHours{}, fmt.Errorf("quiet hours %q: want HH:MM-HH:MM, such as 23:00-07:00", s)
	}
	if from == to {
		return QuietHours{}, fmt.Errorf("quiet hours %q: start and end are the same", s)
	}
	return QuietHours{From: from, To: to}, nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// String is "23:00–07:00".
func (q QuietHours) String() string {
	return fmt.Sprintf("%02d:%02d–%02d:%02d", q.From/60, q.From%60, q.To/60, q.To%60)
}

// Contains reports whether the wall-clock time of t (in the zone t carries)
// falls in the range: from the start inclusive to the end exclusive.
func (q QuietHours) Contains(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	if q.From < q.To {
		return m >= q.From && m < q.To
	}
	return m >= q.From || m < q.To // overnight
}

// DeliverInQuietHours is the one rule for a user's quiet hours: a critical
// alert (a pack about to die, RF or a receiver lost) still reaches them,
// since a show running late at night is exactly when nobody else may be
// watching; warnings are skipped for that user, not held: a "battery low"
// sent at 07:00 about a show that ended at midnight helps nobody, and the
// /alerts page keeps every alert anyway.
func DeliverInQuietHours(sev AlertSeverity) bool { return sev == SeverityCritical }

// Quiet returns the subscription's quiet hours, if set.
func (s *AlertSubscription) Quiet() (QuietHours, bool) {
	if s.QuietFrom == nil || s.QuietTo == nil {
		return QuietHours{}, false
	}
	return QuietHours{From: *s.QuietFrom, To: *s.QuietTo}, true
}

// Location is the user's time zone, else def (the instance's).
func (s *AlertSubscription) Location(def *time.Location) *time.Location {
	if s.TimeZone != "" {
		if loc, err := time.LoadLocation(s.TimeZone); err == nil {
			return loc
		}
	}
	if def == nil {
		return time.Local
	}
	return def
}

// InQuietHours reports whether at falls in the user's quiet hours, read in
// their time zone (def when they set none).
func (s *AlertSubscription) InQuietHours(at time.Time, def *time.Location) bool {
	q, ok := s.Quiet()
	return ok && q.Contains(at.In(s.Location(def)))
}

// Wants reports whether this user is sent an alert of severity sev at at.
func (s *AlertSubscription) Wants(sev AlertSeverity, at time.Time, def *time.Location) bool {
	return !s.InQuietHours(at, def) || DeliverInQuietHours(sev)
}
