package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"micboard/app/model"
	"micboard/app/store"
)

// Assignments holds the rules for putting performers on channels.
type Assignments struct{ st *store.Store }

// NewAssignments returns the assignment service.
func NewAssignments(st *store.Store) *Assignments { return &Assignments{st: st} }

// AssignmentInput is a new or edited assignment.
type AssignmentInput struct {
	PerformerID int64
	ChannelID   int64
	Priority    model.Priority // normal when empty
	Notes       string
	Alerts      *model.AlertFlags // model.DefaultAlerts when nil
	Limits      model.AlertLimits // nil fields take the default
}

func (in *AssignmentInput) validate() error {
	v := validator{}
	if in.Priority == "" {
		in.Priority = model.PriorityNormal
	}
	in.Notes = strings.TrimSpace(in.Notes)
	v.check(in.PerformerID > 0, "performer", "choose a performer")
	v.check(in.ChannelID > 0, "channel", "choose a channel")
	v.check(in.Priority.Valid(), "priority", "must be low, normal, high or critical")
	v.check(len(in.Notes) <= 2000, "notes", "at most 2000 characters")
	v.limits(in.Limits)
	return v.err()
}

// limits adds what is wrong with alert limits, by limit name
// (model.AlertLimits.Validate: the one place their ranges are checked).
func (v validator) limits(l model.AlertLimits) {
	for name, msg := range l.Validate() {
		v.check(false, name, msg)
	}
}

// Create assigns a performer to a channel. A channel holds one active
// assignment: a second is refused with ErrAlreadyAssigned and nothing
// changes.
func (s *Assignments) Create(ctx context.Context, in AssignmentInput) (*model.Assignment, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	flags := model.DefaultAlerts
	if in.Alerts != nil {
		flags = *in.Alerts
	}
	a := &model.Assignment{
		PerformerID: in.PerformerID, ChannelID: in.ChannelID, Priority: in.Priority,
		Notes: in.Notes, Active: true, AlertFlags: flags, AlertLimits: in.Limits,
	}
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.Performers.Get(ctx, in.PerformerID); err != nil {
			return err
		}
		if _, err := tx.Channels.Get(ctx, in.ChannelID); err != nil {
			return err
		}
		return tx.Assignments.Create(ctx, a)
	})
	if err != nil {
		return nil, fmt.Errorf("assign performer %d to channel %d: %w", in.PerformerID, in.ChannelID, assignmentError(err))
	}
	return a, nil
}

// assignmentError turns the schema's one-active-per-channel rule into
// ErrAlreadyAssigned.
func assignmentError(err error) error {
	if errors.Is(err, store.ErrAlreadyExists) && store.ConstraintName(err) == "assignments_channel_active_key" {
		return ErrAlreadyAssigned
	}
	return err
}

// AssignmentPatch changes some fields of an assignment; nil leaves a field
// as it is.
type AssignmentPatch struct {
	ChannelID *int64
	Priority  *model.Priority
	Notes     *string
	Active    *bool
	Alerts    *model.AlertFlags
	// Limits, when set, replaces the alert limits named in LimitFields
	// (every one when LimitFields is empty) with its own; a nil field takes
	// the default again. The result is checked as a whole: a critical limit
	// above the low one already stored is refused.
	Limits      *model.AlertLimits
	LimitFields []string
}

// Update applies a patch. Moving it to a channel that already has an active
// assignment, or reactivating it there, is refused with ErrAlreadyAssigned.
func (s *Assignments) Update(ctx context.Context, id int64, p AssignmentPatch) (*model.Assignment, error) {
	v := validator{}
	if p.Priority != nil {
		v.check(p.Priority.Valid(), "priority", "must be low, normal, high or critical")
	}
	if p.Notes != nil {
		v.check(len(*p.Notes) <= 2000, "notes", "at most 2000 characters")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var a *model.Assignment
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		if a, err = tx.Assignments.Get(ctx, id); err != nil {
			return err
		}
		if p.ChannelID != nil {
			if _, err := tx.Channels.Get(ctx, *p.ChannelID); err != nil {
				return err
			}
			a.ChannelID = *p.ChannelID
		}
		if p.Priority != nil {
			a.Priority = *p.Priority
		}
		if p.Notes != nil {
			a.Notes = strings.TrimSpace(*p.Notes)
		}
		if p.Active != nil {
			a.Active = *p.Active
		}
		if p.Alerts != nil {
			a.AlertFlags = *p.Alerts
		}
		if p.Limits != nil {
			names := p.LimitFields
			if len(names) == 0 {
				names = model.AlertLimitNames
			}
			a.AlertLimits = a.AlertLimits.With(*p.Limits, names...)
			v := validator{}
			if v.limits(a.AlertLimits); v.err() != nil {
				return v.err()
			}
		}
		columns := []string{"channel_id", "priority", "notes", "active",
			"alert_battery_low", "alert_signal_loss", "alert_audio_low", "alert_device_offline"}
		return tx.Assignments.Update(ctx, a, append(columns, model.AlertLimitNames...)...)
	})
	if err != nil {
		return nil, fmt.Errorf("update assignment %d: %w", id, assignmentError(err))
	}
	return a, nil
}

// Delete removes an assignment.
func (s *Assignments) Delete(ctx context.Context, id int64) error {
	return s.st.Assignments.Delete(ctx, id)
}

// SetAlertFlags sets the alert flags of many assignments at once. Every id
// must exist, else nothing changes and ErrNotFound names the count missing.
func (s *Assignments) SetAlertFlags(ctx context.Context, f model.AlertFlags, ids ...int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		if n, err = tx.Assignments.SetAlertFlags(ctx, f, ids...); err != nil {
			return err
		}
		if want := len(uniqueIDs(ids)); n != want {
			return fmt.Errorf("%d of %d assignments: %w", want-n, want, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("set alert flags: %w", err)
	}
	return n, nil
}

func uniqueIDs(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}
