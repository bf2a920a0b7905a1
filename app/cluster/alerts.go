package cluster

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"micboard/app/alert"
	"micboard/app/model"
	"micboard/app/store"
)

// alertsChannel carries alert events between instances.
const alertsChannel = "micboard_alerts"

// AlertRelay tells the other instances of every alert event this one
// raises or records (as an alert.Publisher), and hands theirs to Apply:
// each alert is raised and delivered once, by the instance watching its
// receiver, and shown on every instance's pages and kiosks.
type AlertRelay struct {
	Store  *store.Store
	Origin string
	// Apply takes another instance's event (alert.System.ApplyRemote).
	Apply  func(alert.Event)
	Logger *slog.Logger

	out chan alertNote
	in  chan alertNote
}

// alertNote is one notification: the alert's id and what happened; the
// alert itself is read from the database, where it was stored first.
type alertNote struct {
	Origin string           `json:"o"`
	ID     int64            `json:"a"`
	Event  model.AlertEvent `json:"e"`
}

// NewAlertRelay returns an AlertRelay; Run sends and applies.
func NewAlertRelay(st *store.Store, origin string, log *slog.Logger) *AlertRelay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &AlertRelay{Store: st, Origin: origin, Logger: log, out: make(chan alertNote, 256), in: make(chan alertNote, 256)}
}

// Publish implements alert.Publisher; it never blocks (a full queue drops
// the note: the other instances read the alerts again when they take
// receivers over).
func (r *AlertRelay) Publish(ev alert.Event) {
	if ev.Alert.ID == 0 {
		return // never stored: nothing the others could read
	}
	select {
	case r.out <- alertNote{Origin: r.Origin, ID: ev.Alert.ID, Event: ev.Event}:
	default:
		r.Logger.Warn("cluster: alert relay queue full; an event was not told to the other instances", "alert", ev.Alert.ID)
	}
}

// Attach registers the relay's handler on the listener.
func (r *AlertRelay) Attach(l *Listener) {
	l.Handle(alertsChannel, func(_ context.Context, payload string) {
		var n alertNote
		if err := json.Unmarshal([]byte(payload), &n); err != nil || n.ID == 0 {
			r.Logger.Warn("cluster: an alert notification could not be read; ignored", "bytes", len(payload))
			return
		}
		if n.Origin == r.Origin {
			return
		}
		select {
		case r.in <- n:
		default:
			r.Logger.Warn("cluster: incoming alert queue full; dropped", "alert", n.ID)
		}
	})
}

// Run sends this instance's events and applies the others' until ctx ends.
func (r *AlertRelay) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-r.out:
			b, _ := json.Marshal(n)
			sctx, cancel := context.WithTimeout(ctx, notifyTimeout)
			_, err := r.Store.DB().ExecContext(sctx, "SELECT pg_notify(?, ?)", alertsChannel, string(b))
			cancel()
			if err != nil && ctx.Err() == nil {
				r.Logger.Warn("cluster: tell the other instances of an alert", "alert", n.ID, "err", err)
			}
		case n := <-r.in:
			lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			a, err := r.Store.Alerts.Get(lctx, n.ID)
			cancel()
			if err != nil {
				if ctx.Err() == nil {
					r.Logger.Warn("cluster: read an alert another instance raised", "alert", n.ID, "err", err)
				}
				continue
			}
			if r.Apply != nil {
				r.Apply(alert.Event{Event: n.Event, Alert: *a, At: time.Now()})
			}
		}
	}
}
