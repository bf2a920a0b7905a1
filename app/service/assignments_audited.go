package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"micboard/app/model"
	"micboard/app/store"
)

// AlertNames says which alerts f raises, for audit summaries.
func AlertNames(f model.AlertFlags) string {
	var out string
	add := func(on bool, name string) {
		if on {
			if out != "" {
				out += ","
			}
			out += name
		}
	}
	add(f.BatteryLow, "battery_low")
	add(f.SignalLoss, "signal_loss")
	add(f.AudioLow, "audio_low")
	add(f.DeviceOffline, "device_offline")
	if out == "" {
		return "none"
	}
	return out
}

// LimitNames says which alert limits l sets, for audit summaries
// ("battery_low_percent=80 rf_loss_seconds=5"; "default" when none).
func LimitNames(l model.AlertLimits) string {
	typed := l.Typed()
	var parts []string
	for _, name := range model.AlertLimitNames {
		if v, ok := typed[name]; ok {
			parts = append(parts, name+"="+v)
		}
	}
	if len(parts) == 0 {
		return "default"
	}
	return strings.Join(parts, " ")
}

// CreateAssignment assigns a performer to a channel and records it in the
// audit log, in one transaction. A channel already holding an active
// assignment is a field error on "channel" (wrapping ErrAlreadyAssigned).
func CreateAssignment(ctx context.Context, st *store.Store, actor Actor, in AssignmentInput) (*model.Assignment, error) {
	var a *model.Assignment
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		var err error
		if a, err = NewAssignments(tx).Create(ctx, in); err != nil {
			return Change{}, err
		}
		return Change{Action: "assignment.create", ObjectKind: "assignment", ObjectIDs: []int64{a.ID},
			Summary: fmt.Sprintf("performer %d on channel %d, %s, alerts %s, limits %s",
				a.PerformerID, a.ChannelID, a.Priority, AlertNames(a.AlertFlags), LimitNames(a.AlertLimits))}, nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// UpdateAssignment applies a patch and records before → after.
func UpdateAssignment(ctx context.Context, st *store.Store, actor Actor, id int64, p AssignmentPatch) (*model.Assignment, error) {
	var a *model.Assignment
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		old, err := tx.Assignments.Get(ctx, id)
		if err != nil {
			return Change{}, err
		}
		if a, err = NewAssignments(tx).Update(ctx, id, p); err != nil {
			return Change{}, err
		}
		action := "assignment.update"
		if old.Active && !a.Active {
			action = "assignment.end"
		}
		return Change{Action: action, ObjectKind: "assignment", ObjectIDs: []int64{a.ID},
			Summary: fmt.Sprintf("channel %d, %s, active %t, alerts %s, limits %s → channel %d, %s, active %t, alerts %s, limits %s",
				old.ChannelID, old.Priority, old.Active, AlertNames(old.AlertFlags), LimitNames(old.AlertLimits),
				a.ChannelID, a.Priority, a.Active, AlertNames(a.AlertFlags), LimitNames(a.AlertLimits))}, nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// DeleteAssignment removes an assignment and records what it was.
func DeleteAssignment(ctx context.Context, st *store.Store, actor Actor, id int64) error {
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		a, err := tx.Assignments.Get(ctx, id)
		if err != nil {
			return Change{}, err
		}
		if err := NewAssignments(tx).Delete(ctx, id); err != nil {
			return Change{}, err
		}
		return Change{Action: "assignment.delete", ObjectKind: "assignment", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("performer %d off channel %d (%s, active %t)", a.PerformerID, a.ChannelID, a.Priority, a.Active)}, nil
	})
	if err != nil {
		return fmt.Errorf("delete assignment %d: %w", id, err)
	}
	return nil
}

// errNothingToDo rolls back a bulk action every row of which was refused:
// there is no change to record.
var errNothingToDo = errors.New("nothing to do")

// MaxAssignmentBulk bounds one bulk action, so one request cannot hold a
// transaction over every assignment of a very large show.
const MaxAssignmentBulk = 5000

// Bulk assignment actions.
const (
	BulkEnableAlerts  = "enable_alerts"
	BulkDisableAlerts = "disable_alerts"
	BulkEnd           = "end"
)

// AssignmentBulkRow is one assignment a bulk action refused, and why.
type AssignmentBulkRow struct {
	ID     int64
	Label  string // what the row is, in words ("Ana on HH01")
	Reason string
}

// AssignmentBulkResult says what a bulk action changed and what it refused.
type AssignmentBulkResult struct {
	Action  string
	Changed []int64
	Refused []AssignmentBulkRow
}

// BulkAssignments runs one bulk action on many assignments in one
// transaction, with one audit row. Rows the action cannot apply to (an
// unknown id, an ended assignment) are refused with a reason and left
// unchanged; the others change together or not at all.
func BulkAssignments(ctx context.Context, st *store.Store, actor Actor, action string, ids []int64) (AssignmentBulkResult, error) {
	res := AssignmentBulkResult{Action: action}
	if action != BulkEnableAlerts && action != BulkDisableAlerts && action != BulkEnd {
		return res, &ValidationError{Fields: map[string]string{"action": "choose enable alerts, disable alerts or end"}}
	}
	if len(ids) == 0 {
		return res, &ValidationError{Fields: map[string]string{"ids": "tick at least one assignment, or choose all that match the filter"}}
	}
	if len(ids) > MaxAssignmentBulk {
		return res, &ValidationError{Fields: map[string]string{"ids": fmt.Sprintf("at most %d assignments at once: narrow the filter", MaxAssignmentBulk)}}
	}
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		res.Changed, res.Refused = nil, nil
		seen := map[int64]bool{}
		var ok []int64
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			a, err := tx.Assignments.Get(ctx, id)
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					res.Refused = append(res.Refused, AssignmentBulkRow{ID: id, Label: fmt.Sprintf("assignment %d", id), Reason: "no such assignment"})
					continue
				}
				return Change{}, err
			}
			if !a.Active {
				res.Refused = append(res.Refused, AssignmentBulkRow{ID: id, Label: AssignmentLabel(a), Reason: "already ended"})
				continue
			}
			ok = append(ok, id)
		}
		if len(ok) == 0 {
			return Change{}, errNothingToDo
		}
		var flags model.AlertFlags
		switch action {
		case BulkEnableAlerts:
			flags = model.AlertFlags{BatteryLow: true, SignalLoss: true, AudioLow: true, DeviceOffline: true}
			fallthrough
		case BulkDisableAlerts:
			if _, err := tx.Assignments.SetAlertFlags(ctx, flags, ok...); err != nil {
				return Change{}, err
			}
		case BulkEnd:
			if _, err := tx.Assignments.EndMany(ctx, ok...); err != nil {
				return Change{}, err
			}
		}
		res.Changed = ok
		return Change{Action: "assignment.bulk." + action, ObjectKind: "assignment", ObjectIDs: ok,
			Summary: fmt.Sprintf("%s on %d assignment(s), %d refused", action, len(ok), len(res.Refused))}, nil
	})
	if errors.Is(err, errNothingToDo) {
		return res, nil
	}
	if err != nil {
		return AssignmentBulkResult{Action: action}, fmt.Errorf("bulk %s on %d assignments: %w", action, len(ids), err)
	}
	return res, nil
}

// AssignmentLabel names an assignment loaded with its performer and
// channel, in words.
func AssignmentLabel(a *model.Assignment) string {
	who, ch := fmt.Sprintf("performer %d", a.PerformerID), fmt.Sprintf("channel %d", a.ChannelID)
	if a.Performer != nil {
		who = a.Performer.Name
	}
	if a.Channel != nil {
		ch = a.Channel.DisplayName()
	}
	return who + " on " + ch
}
