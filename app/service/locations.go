package service

import (
	"context"
	"fmt"
	"strings"

	"micboard/app/model"
	"micboard/app/store"
)

// Locations holds the rules for places: a tree of buildings and rooms
// that devices stand in.
type Locations struct{ st *store.Store }

// NewLocations returns the location service.
func NewLocations(st *store.Store) *Locations { return &Locations{st: st} }

// LocationInput is a new or edited location.
type LocationInput struct {
	Name        string
	ParentID    *int64
	Description string
	Active      *bool // true when nil
}

func (in *LocationInput) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	v := validator{}
	v.check(in.Name != "", "name", "give the location a name")
	v.check(len(in.Name) <= 100, "name", "at most 100 characters")
	if err := model.CheckLabel(in.Name, 100); in.Name != "" && err != nil {
		v.check(false, "name", err.Error())
	}
	v.check(len(in.Description) <= 2000, "description", "at most 2000 characters")
	return v.err()
}

// Create adds a location, under an existing parent if one is given.
func (s *Locations) Create(ctx context.Context, in LocationInput) (*model.Location, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	l := &model.Location{Name: in.Name, ParentID: in.ParentID, Description: in.Description, Active: in.Active == nil || *in.Active}
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		if in.ParentID != nil {
			if _, err := tx.Locations.Get(ctx, *in.ParentID); err != nil {
				return err
			}
		}
		return tx.Locations.Create(ctx, l)
	})
	if err != nil {
		return nil, fmt.Errorf("create location %q: %w", in.Name, err)
	}
	return l, nil
}

// Update edits a location. A parent below the location itself would make a
// loop and is refused.
func (s *Locations) Update(ctx context.Context, id int64, in LocationInput) (*model.Location, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var l *model.Location
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		if l, err = tx.Locations.Get(ctx, id); err != nil {
			return err
		}
		if in.ParentID != nil {
			loop, err := tx.Locations.IsDescendant(ctx, id, *in.ParentID)
			if err != nil {
				return err
			}
			if loop {
				return &ValidationError{Fields: map[string]string{"parent": "a location cannot sit inside itself or one of its own rooms"}}
			}
			if _, err := tx.Locations.Get(ctx, *in.ParentID); err != nil {
				return err
			}
		}
		l.Name, l.ParentID, l.Description = in.Name, in.ParentID, in.Description
		if in.Active != nil {
			l.Active = *in.Active
		}
		return tx.Locations.Update(ctx, l)
	})
	if err != nil {
		return nil, fmt.Errorf("update location %d: %w", id, err)
	}
	return l, nil
}

// Delete removes an empty location. One that still holds receivers or
// child locations is refused with ErrLocationInUse and a message saying
// what to move first.
func (s *Locations) Delete(ctx context.Context, id int64) error {
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		l, err := tx.Locations.Get(ctx, id)
		if err != nil {
			return err
		}
		devices, err := tx.Locations.CountDevices(ctx, id)
		if err != nil {
			return err
		}
		children, err := tx.Locations.CountChildren(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case devices > 0:
			return fmt.Errorf("%w: %q still holds %d receiver(s); move or unassign them first", ErrLocationInUse, l.Name, devices)
		case children > 0:
			return fmt.Errorf("%w: %q still contains %d location(s); delete or move them first", ErrLocationInUse, l.Name, children)
		}
		return tx.Locations.Delete(ctx, id)
	})
	if err != nil {
		return fmt.Errorf("delete location %d: %w", id, err)
	}
	return nil
}

// AssignDevices puts receivers in a location; every receiver must exist.
func (s *Locations) AssignDevices(ctx context.Context, locationID int64, receiverIDs ...int64) (int, error) {
	return s.assign(ctx, &locationID, receiverIDs)
}

// UnassignDevices takes receivers out of any location.
func (s *Locations) UnassignDevices(ctx context.Context, receiverIDs ...int64) (int, error) {
	return s.assign(ctx, nil, receiverIDs)
}

func (s *Locations) assign(ctx context.Context, locationID *int64, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		if locationID != nil {
			if _, err := tx.Locations.Get(ctx, *locationID); err != nil {
				return err
			}
		}
		var err error
		if n, err = tx.Locations.AssignDevices(ctx, locationID, ids...); err != nil {
			return err
		}
		if want := len(uniqueIDs(ids)); n != want {
			return fmt.Errorf("%d of %d receivers: %w", want-n, want, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("assign receivers to location: %w", err)
	}
	return n, nil
}

// ListWithCounts lists locations with the number of receivers in each,
// counting rooms into their building.
func (s *Locations) ListWithCounts(ctx context.Context) ([]*model.Location, error) {
	return s.st.Locations.Query().WithDeviceCounts().List(ctx)
}
