package service

import (
	"context"
	"fmt"
	"strings"

	"micboard/app/model"
	"micboard/app/store"
)

// PerformerInput is a new or edited performer.
type PerformerInput struct {
	Name   string
	Role   string // what they do on stage: "Lead vocal", "Drums"
	Notes  string
	Active *bool // true when nil
}

func (in *PerformerInput) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	in.Role = strings.TrimSpace(in.Role)
	in.Notes = strings.TrimSpace(in.Notes)
	v := validator{}
	v.check(in.Name != "", "name", "give the performer a name")
	if err := model.CheckLabel(in.Name, 100); in.Name != "" && err != nil {
		v.check(false, "name", err.Error())
	}
	if err := model.CheckLabel(in.Role, 100); in.Role != "" && err != nil {
		v.check(false, "role", err.Error())
	}
	v.check(len(in.Notes) <= 2000, "notes", "at most 2000 characters")
	return v.err()
}

// CreatePerformer adds a performer and records it in the audit log, in one
// transaction.
func CreatePerformer(ctx context.Context, st *store.Store, actor Actor, in PerformerInput) (*model.Performer, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	p := &model.Performer{Name: in.Name, Role: in.Role, Notes: in.Notes, Active: in.Active == nil || *in.Active}
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		if err := tx.Performers.Create(ctx, p); err != nil {
			return Change{}, err
		}
		return Change{Action: "performer.create", ObjectKind: "performer", ObjectIDs: []int64{p.ID},
			Summary: fmt.Sprintf("created performer %q (%s)", p.Name, p.Role)}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("create performer: %w", err)
	}
	return p, nil
}

// UpdatePerformer edits a performer, recording before → after.
func UpdatePerformer(ctx context.Context, st *store.Store, actor Actor, id int64, in PerformerInput) (*model.Performer, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var p *model.Performer
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		var err error
		if p, err = tx.Performers.Get(ctx, id); err != nil {
			return Change{}, err
		}
		before := fmt.Sprintf("%q (%s, active %t)", p.Name, p.Role, p.Active)
		p.Name, p.Role, p.Notes = in.Name, in.Role, in.Notes
		if in.Active != nil {
			p.Active = *in.Active
		}
		if err := tx.Performers.Update(ctx, p); err != nil {
			return Change{}, err
		}
		return Change{Action: "performer.update", ObjectKind: "performer", ObjectIDs: []int64{p.ID},
			Summary: fmt.Sprintf("%s → %q (%s, active %t)", before, p.Name, p.Role, p.Active)}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("update performer %d: %w", id, err)
	}
	return p, nil
}

// DeletePerformer removes a performer with their assignments and records
// it in the audit log, in one transaction.
func DeletePerformer(ctx context.Context, st *store.Store, actor Actor, id int64) error {
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		p, err := tx.Performers.Get(ctx, id)
		if err != nil {
			return Change{}, err
		}
		if err := tx.Performers.Delete(ctx, id); err != nil {
			return Change{}, err
		}
		return Change{Action: "performer.delete", ObjectKind: "performer", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("deleted performer %q (%s)", p.Name, p.Role)}, nil
	})
	if err != nil {
		return fmt.Errorf("delete performer %d: %w", id, err)
	}
	return nil
}
