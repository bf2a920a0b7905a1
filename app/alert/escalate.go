package alert

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"micboard/app/model"
	"micboard/app/store"
)

// EscalationOptions tune escalation.
type EscalationOptions struct {
	// After is how long a critical alert may stay open (unacknowledged)
	// before it goes to the first contact, and to each next one after as
	// long again (0: no escalation).
	After time.Duration
	// Every is how often open alerts are looked at (default After/20,
	// between 100 ms and 15 s).
	Every time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Sender mails one event to chosen addresses (Email).
type Sender interface {
	SendTo(ctx context.Context, to []string, ev Event) error
}

// Escalator sends a critical alert that nobody acknowledged on to the
// escalation contacts: the users with an escalation rank, rank 1 first.
// Contact n gets it n×After after it opened, until someone acknowledges it
// or it resolves. Each is an e-mail through the dispatcher (retried,
// recorded in alert_deliveries as event "escalated" with the contact's
// address as target). Quiet hours do not hold it: only critical alerts
// escalate, and those pass quiet hours (model.DeliverInQuietHours).
//
// It reads the engine's open alerts in memory, never polling the alerts
// table; the contacts are read when an alert is due.
type Escalator struct {
	o    EscalationOptions
	eng  *Engine
	st   *store.Store
	send Sender
	disp *Dispatcher
	log  *slog.Logger
	sent map[int64]int // alert → contacts it went to so far
}

// NewEscalator returns an escalator; Run starts it.
func NewEscalator(o EscalationOptions, eng *Engine, st *store.Store, send Sender, disp *Dispatcher, log *slog.Logger) *Escalator {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Every <= 0 {
		o.Every = min(max(o.After/20, 100*time.Millisecond), 15*time.Second)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Escalator{o: o, eng: eng, st: st, send: send, disp: disp, log: log, sent: map[int64]int{}}
}

// Run checks on its clock until ctx ends.
func (x *Escalator) Run(ctx context.Context) {
	if x.o.After <= 0 {
		return
	}
	tk := time.NewTicker(x.o.Every)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			x.Check(ctx)
		}
	}
}

// Check sends every escalation due now.
func (x *Escalator) Check(ctx context.Context) {
	if x.o.After <= 0 {
		return
	}
	now := x.o.Now()
	open := map[int64]bool{}
	var due []model.Alert
	for _, a := range x.eng.Owned() {
		if a.ID == 0 || a.Severity != model.SeverityCritical || a.State != model.AlertOpen {
			continue // acknowledged (someone has it) or not critical
		}
		open[a.ID] = true
		if now.Sub(a.OpenedAt) >= x.o.After {
			due = append(due, a)
		}
	}
	for id := range x.sent {
		if !open[id] {
			delete(x.sent, id)
		}
	}
	if len(due) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	contacts, err := x.st.AlertSubscriptions.EscalationContacts(ctx)
	if err != nil {
		x.log.Warn("escalation contacts", "err", err)
		return
	}
	for _, a := range due {
		n, ok := x.sent[a.ID]
		if !ok {
			n = x.sentBefore(ctx, a.ID) // after a restart: not twice
		}
		steps := min(int(now.Sub(a.OpenedAt)/x.o.After), len(contacts))
		for ; n < steps; n++ {
			c := contacts[n]
			x.log.Info("alert escalated", "alert", a.ID, "kind", a.Kind, "contact", n+1, "to", c.Email)
			x.disp.Send(escalation{send: x.send, to: c.Email}, Event{Event: model.EventEscalated, Alert: a, At: now})
		}
		x.sent[a.ID] = n
	}
}

// sentBefore counts the contacts an alert already went to.
func (x *Escalator) sentBefore(ctx context.Context, id int64) int {
	list, err := x.st.AlertDeliveries.ForAlert(ctx, id)
	if err != nil {
		x.log.Warn("escalations sent before", "alert", id, "err", err)
		return 0
	}
	to := map[string]bool{}
	for _, d := range list {
		if d.Event == model.EventEscalated {
			to[d.Target] = true
		}
	}
	return len(to)
}

// escalation is a one-off sink: one event to one contact.
type escalation struct {
	send Sender
	to   string
}

func (e escalation) Kind() string     { return "email" }
func (e escalation) Target() string   { return e.to }
func (e escalation) Wants(Event) bool { return true }
func (e escalation) Deliver(ctx context.Context, ev Event) error {
	if err := e.send.SendTo(ctx, []string{e.to}, ev); err != nil {
		return fmt.Errorf("escalate to %s: %w", e.to, err)
	}
	return nil
}
