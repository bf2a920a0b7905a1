package cluster

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"time"

	"micboard/app/alert"
	"micboard/app/model"
	"micboard/app/store"
)

// alertsChannel carries alert events between instances.
const alertsChannel = "micboard_alerts"

// alertQueue bounds the events waiting to be sent or applied; a show that
// opens more at once (every pack low after a long break) loses the
// overflow, and the other side reads the open alerts again instead.
const alertQueue = 4096

// AlertRelay tells the other instances of every alert event this one
// raises or records (as an alert.Publisher), and hands theirs to Apply:
// each alert is raised and delivered once, by the instance watching its
// receiver, and shown on every instance's pages and kiosks.
type AlertRelay struct {
	Store  *store.Store
	Origin string
	// Apply takes another instance's event (alert.System.ApplyRemote).
	Apply func(alert.Event)
	// Reload reads every unresolved alert again (alert.Engine.Adopt):
	// events were lost, here or at their sender.
	Reload func(ctx context.Context)
	Logger *slog.Logger

	out, in     chan alertNote
	lostOut     atomic.Bool // events were not sent: tell the others to reload
	lostIn      atomic.Bool // events were not applied: reload here
	wake, wakeI chan struct{}
}

// alertNote is one event: the alert's id and what happened; the alert
// itself is read from the database, where it was stored first.
type alertNote struct {
	ID    int64            `json:"a"`
	Event model.AlertEvent `json:"e"`
}

// alertEnvelope is one notification: a batch of events, or a request to
// read the unresolved alerts again.
type alertEnvelope struct {
	Origin string      `json:"o"`
	Notes  []alertNote `json:"n,omitempty"`
	Reload bool        `json:"reload,omitempty"`
}

// NewAlertRelay returns an AlertRelay; Run sends and applies.
func NewAlertRelay(st *store.Store, origin string, log *slog.Logger) *AlertRelay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &AlertRelay{Store: st, Origin: origin, Logger: log,
		out: make(chan alertNote, alertQueue), in: make(chan alertNote, alertQueue),
		wake: make(chan struct{}, 1), wakeI: make(chan struct{}, 1)}
}

// Publish implements alert.Publisher; it never blocks.
func (r *AlertRelay) Publish(ev alert.Event) {
	if ev.Alert.ID == 0 {
		return // never stored: nothing the others could read
	}
	select {
	case r.out <- alertNote{ID: ev.Alert.ID, Event: ev.Event}:
	default:
		if !r.lostOut.Swap(true) {
			r.Logger.Warn("cluster: too many alert events at once; the other instances will read the open alerts again")
		}
		poke(r.wake)
	}
}

// Attach registers the relay's handler on the listener.
func (r *AlertRelay) Attach(l *Listener) {
	l.Handle(alertsChannel, func(_ context.Context, payload string) {
		var env alertEnvelope
		if err := json.Unmarshal([]byte(payload), &env); err != nil {
			r.Logger.Warn("cluster: an alert notification could not be read; ignored", "bytes", len(payload))
			return
		}
		if env.Origin == r.Origin {
			return
		}
		if env.Reload {
			r.lostIn.Store(true)
		}
		for _, n := range env.Notes {
			select {
			case r.in <- n:
			default:
				r.lostIn.Store(true)
			}
		}
		poke(r.wakeI)
	})
}

// Run sends this instance's events and applies the others' until ctx ends,
// each in batches: one statement sends all that waits, one query reads
// all that arrived.
func (r *AlertRelay) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-r.out:
			r.send(ctx, append([]alertNote{n}, drain(r.out)...))
		case <-r.wake:
			r.send(ctx, drain(r.out))
		case n := <-r.in:
			r.apply(ctx, append([]alertNote{n}, drain(r.in)...))
		case <-r.wakeI:
			r.apply(ctx, drain(r.in))
		}
	}
}

// drain takes what waits in c without blocking.
func drain(c chan alertNote) []alertNote {
	var out []alertNote
	for {
		select {
		case n := <-c:
			out = append(out, n)
		default:
			return out
		}
	}
}

// send tells the others of notes, packed under the payload limit.
func (r *AlertRelay) send(ctx context.Context, notes []alertNote) {
	var payloads []string
	if r.lostOut.Swap(false) {
		b, _ := json.Marshal(alertEnvelope{Origin: r.Origin, Reload: true})
		payloads = append(payloads, string(b))
	}
	// About 40 bytes a note: 150 a payload stays far under 8,000 bytes.
	const perPayload = 150
	for len(notes) > 0 {
		k := min(len(notes), perPayload)
		b, _ := json.Marshal(alertEnvelope{Origin: r.Origin, Notes: notes[:k]})
		payloads = append(payloads, string(b))
		notes = notes[k:]
	}
	if len(payloads) == 0 {
		return
	}
	if err := notifyAll(ctx, r.Store, alertsChannel, payloads); err != nil && ctx.Err() == nil {
		r.lostOut.Store(true) // the next send asks the others to read them all
		r.Logger.Warn("cluster: tell the other instances of alerts", "notifications", len(payloads), "err", err)
	}
}

// apply reads the alerts of notes in one query and hands each event on.
func (r *AlertRelay) apply(ctx context.Context, notes []alertNote) {
	if r.lostIn.Swap(false) && r.Reload != nil {
		r.Reload(ctx)
	}
	if len(notes) == 0 {
		return
	}
	ids := make([]int64, 0, len(notes))
	for _, n := range notes {
		ids = append(ids, n.ID)
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	list, err := r.Store.Alerts.Query().WithIDs(ids...).List(lctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			r.lostIn.Store(true)
			r.Logger.Warn("cluster: read alerts another instance raised", "alerts", len(ids), "err", err)
		}
		return
	}
	byID := make(map[int64]*model.Alert, len(list))
	for _, a := range list {
		byID[a.ID] = a
	}
	now := time.Now()
	for _, n := range notes {
		if a := byID[n.ID]; a != nil && r.Apply != nil {
			r.Apply(alert.Event{Event: n.Event, Alert: *a, At: now})
		}
	}
}
