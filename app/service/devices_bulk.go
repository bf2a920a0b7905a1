package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"micboard/app/model"
	"micboard/app/store"
)

// ReceiverAction names an action on many receivers at once, as the console's
// bulk form posts it.
type ReceiverAction string

// Receiver bulk actions.
const (
	BulkSyncStatus   ReceiverAction = "sync_status"
	BulkMarkInactive ReceiverAction = "mark_inactive"
	BulkReactivate   ReceiverAction = "reactivate"
	BulkSetLocation  ReceiverAction = "set_location"
	BulkReconnect    ReceiverAction = "reconnect"
)

// ReceiverActions lists the receiver bulk actions in the order forms offer them.
var ReceiverActions = []ReceiverAction{BulkSyncStatus, BulkReconnect, BulkSetLocation, BulkMarkInactive, BulkReactivate}

// Valid reports whether a is a known receiver bulk action.
func (a ReceiverAction) Valid() bool {
	for _, b := range ReceiverActions {
		if a == b {
			return true
		}
	}
	return false
}

// Stops reports whether a stops or drops something, so the console asks
// for confirmation first, saying how many rows.
func (a ReceiverAction) Stops() bool { return a == BulkMarkInactive || a == BulkReconnect }

// Label is how a person reads the action.
func (a ReceiverAction) Label() string {
	switch a {
	case BulkSyncStatus:
		return "Sync status now"
	case BulkMarkInactive:
		return "Mark inactive"
	case BulkReactivate:
		return "Reactivate"
	case BulkSetLocation:
		return "Set location"
	case BulkReconnect:
		return "Reconnect"
	case ConnHealthCheck:
		return "Health check"
	case ConnResetErrors:
		return "Reset errors"
	}
	return string(a)
}

// MaxBulkRows bounds one bulk action, so a single request cannot hold a
// transaction over the whole fleet of a very large show for long.
const MaxBulkRows = 5000

// ReceiverBulkInput is one bulk action on receivers.
type ReceiverBulkInput struct {
	Action     ReceiverAction
	IDs        []int64
	LocationID *int64 // set_location: where to put them
	// Online is what the monitor sees of each receiver right now
	// (sync_status); a receiver missing from it is not answering.
	Online map[int64]bool
}

// ReceiverBulkRow is one receiver in a bulk result; Reason says why it was
// refused (empty for a changed row).
type ReceiverBulkRow struct {
	ID     int64
	Name   string
	Reason string
}

// ReceiverBulkResult says what a bulk action changed and what it refused, and why.
// Refused rows are left exactly as they were.
type ReceiverBulkResult struct {
	Action  ReceiverAction
	Changed []ReceiverBulkRow
	Refused []ReceiverBulkRow
}

// ChangedIDs lists the receivers the action changed.
func (r *ReceiverBulkResult) ChangedIDs() []int64 {
	ids := make([]int64, len(r.Changed))
	for i, c := range r.Changed {
		ids[i] = c.ID
	}
	return ids
}

func (in *ReceiverBulkInput) validate() error {
	v := validator{}
	v.check(in.Action.Valid(), "action", "choose an action from the list")
	v.check(len(in.IDs) > 0, "ids", "tick at least one receiver, or choose all that match the filter")
	v.check(len(in.IDs) <= MaxBulkRows, "ids", fmt.Sprintf("at most %d receivers at once: narrow the filter", MaxBulkRows))
	if in.Action == BulkSetLocation {
		v.check(in.LocationID != nil, "location", "choose a location")
	}
	return v.err()
}

// BulkReceivers applies one action to many receivers in one transaction,
// recorded in the audit log with it. Rows the action does not apply to
// (unknown, already in that state, retired, ...) are refused with the
// reason and left unchanged; the others change together or not at all.
func (s *Devices) BulkReceivers(ctx context.Context, actor Actor, in ReceiverBulkInput) (*ReceiverBulkResult, error) {
	in.IDs = distinctIDs(in.IDs)
	if err := in.validate(); err != nil {
		return nil, err
	}
	res := &ReceiverBulkResult{Action: in.Action}
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		*res = ReceiverBulkResult{Action: in.Action}
		var loc *model.Location
		if in.Action == BulkSetLocation {
			l, err := tx.Locations.Get(ctx, *in.LocationID)
			if errors.Is(err, store.ErrNotFound) {
				return &ValidationError{Fields: map[string]string{"location": "that location does not exist (any more)"}}
			}
			if err != nil {
				return err
			}
			loc = l
		}
		rxs, err := tx.Receivers.Lock(ctx, in.IDs...)
		if err != nil {
			return err
		}
		byID := make(map[int64]*model.Receiver, len(rxs))
		for _, rx := range rxs {
			byID[rx.ID] = rx
		}
		var ok []int64
		for _, id := range in.IDs {
			rx := byID[id]
			if rx == nil {
				res.Refused = append(res.Refused, ReceiverBulkRow{ID: id, Name: fmt.Sprintf("#%d", id), Reason: "no such receiver"})
				continue
			}
			row := ReceiverBulkRow{ID: id, Name: receiverLabel(rx)}
			if row.Reason = refusal(in.Action, rx, loc); row.Reason != "" {
				res.Refused = append(res.Refused, row)
				continue
			}
			res.Changed = append(res.Changed, row)
			ok = append(ok, id)
		}
		if len(ok) == 0 {
			return nil
		}
		if err := s.applyBulk(ctx, tx, in, ok); err != nil {
			return err
		}
		return NewAudit(tx).Record(ctx, actor, Change{
			Action: "receiver." + string(in.Action), ObjectKind: "receiver", ObjectIDs: ok,
			Summary: bulkSummary(res, loc),
		})
	})
	if err != nil {
		return nil, fmt.Errorf("bulk %s on %d receivers: %w", in.Action, len(in.IDs), err)
	}
	return res, nil
}

// refusal says why action does not apply to rx ("" when it does).
func refusal(a ReceiverAction, rx *model.Receiver, loc *model.Location) string {
	switch a {
	case BulkMarkInactive:
		if !rx.Active {
			return "already inactive"
		}
	case BulkReactivate:
		if rx.Active {
			return "already active"
		}
		if rx.Status == model.LifecycleRetired {
			return "retired: return it to service before reactivating it"
		}
	case BulkSetLocation:
		if rx.LocationID != nil && *rx.LocationID == loc.ID {
			return "already in " + loc.Name
		}
	case BulkSyncStatus, BulkReconnect:
		if !rx.Active {
			return "inactive: nobody watches it; reactivate it first"
		}
		if rx.Status == model.LifecycleRetired {
			return "retired: nobody watches it"
		}
	}
	return ""
}

// applyBulk makes the writes of one action on the accepted receivers.
func (s *Devices) applyBulk(ctx context.Context, tx *store.Store, in ReceiverBulkInput, ids []int64) error {
	switch in.Action {
	case BulkMarkInactive:
		if _, err := tx.Receivers.SetActive(ctx, false, ids...); err != nil {
			return err
		}
		_, err := tx.Connections.SetStatus(ctx, model.ConnStopped, ids...)
		return err
	case BulkReactivate:
		if _, err := tx.Receivers.SetActive(ctx, true, ids...); err != nil {
			return err
		}
		if _, err := tx.Connections.ResetErrors(ctx, ids...); err != nil {
			return err
		}
		_, err := tx.Connections.SetStatus(ctx, model.ConnConnecting, ids...)
		return err
	case BulkSetLocation:
		_, err := tx.Locations.AssignDevices(ctx, in.LocationID, ids...)
		return err
	case BulkSyncStatus:
		now := s.now()
		for _, id := range ids {
			online := in.Online[id]
			if _, err := tx.Receivers.SetOnline(ctx, id, online, now); err != nil {
				return err
			}
			if _, err := tx.Connections.Ensure(ctx, id, model.ConnConnecting); err != nil {
				return err
			}
			if online {
				if err := tx.Connections.Heartbeat(ctx, id, now); err != nil {
					return err
				}
			} else if _, err := tx.Connections.SetStatus(ctx, model.ConnDisconnected, id); err != nil {
				return err
			}
		}
		return nil
	case BulkReconnect:
		for _, id := range ids {
			if _, err := tx.Connections.Ensure(ctx, id, model.ConnConnecting); err != nil {
				return err
			}
			if err := tx.Connections.RecordReconnect(ctx, id); err != nil {
				return err
			}
		}
		_, err := tx.Connections.SetStatus(ctx, model.ConnConnecting, ids...)
		return err
	}
	return fmt.Errorf("bulk action %q: %w", in.Action, store.ErrInvalid)
}

// bulkSummary is the audit line of a bulk result: what changed, then what
// was refused and why.
func bulkSummary(r *ReceiverBulkResult, loc *model.Location) string {
	var b strings.Builder
	switch r.Action {
	case BulkMarkInactive:
		b.WriteString("active → inactive: ")
	case BulkReactivate:
		b.WriteString("inactive → active: ")
	case BulkSetLocation:
		fmt.Fprintf(&b, "location → %s: ", loc.Name)
	case BulkSyncStatus:
		b.WriteString("status synced from the monitor: ")
	case BulkReconnect:
		b.WriteString("reconnect asked: ")
	case ConnHealthCheck:
		b.WriteString("silent links marked disconnected: ")
	case ConnResetErrors:
		b.WriteString("errors reset: ")
	}
	for i, c := range r.Changed {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Name)
	}
	if len(r.Refused) > 0 {
		fmt.Fprintf(&b, "; refused %d:", len(r.Refused))
		for _, c := range r.Refused {
			fmt.Fprintf(&b, " %s (%s)", c.Name, c.Reason)
		}
	}
	return b.String()
}

// receiverLabel names a receiver for people: its name, else its address.
func receiverLabel(rx *model.Receiver) string {
	if n := strings.TrimSpace(rx.Name); n != "" {
		return n
	}
	return fmt.Sprintf("%s:%d", rx.Host, rx.Port)
}

// distinctIDs drops repeated and non-positive ids, keeping the order.
func distinctIDs(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
