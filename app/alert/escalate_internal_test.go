package alert

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// sentMail records what an escalation sent, to whom.
type sentMail struct {
	mu   sync.Mutex
	sent []string // "to:alert"
}

func (s *sentMail) SendTo(_ context.Context, to []string, ev Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ev.Event != model.EventEscalated {
		return fmt.Errorf("event %s, want escalated", ev.Event)
	}
	s.sent = append(s.sent, fmt.Sprintf("%s:%d", strings.Join(to, ","), ev.Alert.ID))
	return nil
}

func (s *sentMail) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

// TestEscalation: a critical alert nobody acknowledges goes to contact 1
// after one interval and to contact 2 after two, once each (also after a
// restart), recorded as deliveries; acknowledging stops it before contact
// 3; a warning never escalates. The clock is the test's.
func TestEscalation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := store.New(dbtest.New(t))

	rank := func(n int) *int { return &n }
	for i, c := range []struct {
		name   string
		rank   *int
		active bool
	}{{"second", rank(2), true}, {"first", rank(1), true}, {"nobody", nil, true}, {"third", rank(3), true}, {"gone", rank(4), false}} {
		u := &model.User{Username: c.name, PasswordHash: "x", Role: model.RoleOperator, Active: c.active}
		if err := st.Users.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		// Contacts need not take every alert by mail (first does not).
		sub := &model.AlertSubscription{UserID: u.ID, Email: c.name + "@example.org", Enabled: i%2 == 0, EscalationRank: c.rank}
		if err := st.AlertSubscriptions.Set(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	contacts, err := st.AlertSubscriptions.EscalationContacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range contacts {
		order = append(order, c.Email)
	}
	if got := strings.Join(order, " "); got != "first@example.org second@example.org third@example.org" {
		t.Fatalf("contacts in order: %s", got)
	}

	opened := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	crit := &model.Alert{Kind: model.AlertRxOffline, Severity: model.SeverityCritical, State: model.AlertOpen,
		Message: "Stage left rack — receiver offline", Value: []byte("{}"), OpenedAt: opened}
	warn := &model.Alert{Kind: model.AlertBatteryLow, Severity: model.SeverityWarning, State: model.AlertOpen,
		Message: "HH03 Zoe — battery low, 45 %", Value: []byte("{}"), OpenedAt: opened}
	for _, a := range []*model.Alert{crit, warn} {
		if err := st.Alerts.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	eng := New(Options{Store: st})
	eng.loadOpen(ctx) // the engine holds them as after a restart
	if n := len(eng.Unresolved(nil)); n != 2 {
		t.Fatalf("engine holds %d open alerts, want 2", n)
	}
	disp := NewDispatcher(DispatchOptions{Store: st, Attempts: 2, RetryBase: 10 * time.Millisecond})
	disp.Start(ctx)
	mail := &sentMail{}
	const after = 10 * time.Minute
	var now time.Time
	clock := func() time.Time { return now }
	esc := NewEscalator(EscalationOptions{After: after, Now: clock}, eng, st, mail, disp, nil)

	wantSent := func(step string, want ...string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := mail.list()
			recs, err := st.AlertDeliveries.ForAlert(ctx, crit.ID)
			if err != nil {
				t.Fatal(err)
			}
			var recorded []string
			for _, r := range recs {
				if r.Event == model.EventEscalated && r.OK && r.Sink == "email" {
					recorded = append(recorded, fmt.Sprintf("%s:%d", r.Target, r.AlertID))
				}
			}
			sort.Strings(recorded)
			if strings.Join(got, " ") == strings.Join(want, " ") && strings.Join(recorded, " ") == strings.Join(want, " ") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: sent %v, recorded %v, want %v", step, got, recorded, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	first := fmt.Sprintf("first@example.org:%d", crit.ID)
	second := fmt.Sprintf("second@example.org:%d", crit.ID)

	now = opened.Add(after - time.Second)
	esc.Check(ctx)
	wantSent("just before the interval")
	now = opened.Add(after)
	esc.Check(ctx)
	wantSent("after one interval", first)
	esc.Check(ctx)
	now = opened.Add(2*after - time.Second)
	esc.Check(ctx)
	wantSent("still inside the second interval", first)
	now = opened.Add(2 * after)
	esc.Check(ctx)
	wantSent("after two intervals", first, second)

	// A restarted instance knows whom it already told.
	again := NewEscalator(EscalationOptions{After: after, Now: clock}, eng, st, mail, disp, nil)
	again.Check(ctx)
	wantSent("after a restart", first, second)

	// Someone acknowledges: the third contact is spared.
	if _, err := eng.Acknowledge(ctx, crit.ID, service.CLI); err != nil {
		t.Fatal(err)
	}
	now = opened.Add(5 * after)
	esc.Check(ctx)
	again.Check(ctx)
	time.Sleep(50 * time.Millisecond) // a wrongful send would be on its way
	wantSent("after the acknowledgement", first, second)
	if recs, _ := st.AlertDeliveries.ForAlert(ctx, warn.ID); len(recs) != 0 {
		t.Errorf("the warning was escalated: %+v", recs)
	}
}
