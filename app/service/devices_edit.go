package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"micboard/app/model"
	"micboard/app/store"
)

// ReceiverEdit is what an admin may change of a receiver by hand.
type ReceiverEdit struct {
	Name       string
	LocationID *int64 // nil: no location
	Active     bool
}

// maxReceiverName bounds a receiver's name in Micboard.
const maxReceiverName = 64

// EditReceiver changes a receiver's name, location and whether it is
// watched, with its audit row, in one transaction. Bad input (an empty,
// over-long or taken name, an unknown location) is a ValidationError and
// stores nothing. It reports whether Active changed, so the caller can tell
// the monitor.
func (s *Devices) EditReceiver(ctx context.Context, actor Actor, id int64, in ReceiverEdit) (bool, error) {
	in.Name = strings.TrimSpace(in.Name)
	v := validator{}
	if err := model.CheckLabel(in.Name, maxReceiverName); err != nil {
		v.check(false, "name", "the name "+err.Error())
	}
	var activeChanged bool
	err := Audited(ctx, s.st, actor, func(tx *store.Store) (Change, error) {
		rxs, err := tx.Receivers.Lock(ctx, id)
		if err != nil {
			return Change{}, err
		}
		if len(rxs) == 0 {
			return Change{}, fmt.Errorf("receiver %d: %w", id, store.ErrNotFound)
		}
		rx := rxs[0]
		if in.Name != "" {
			n, err := tx.Receivers.Query().Search(in.Name).List(ctx)
			if err != nil {
				return Change{}, err
			}
			for _, o := range n {
				if o.ID != id && strings.EqualFold(o.Name, in.Name) {
					v.check(false, "name", "another receiver is already called that")
				}
			}
		}
		var locName = "none"
		if in.LocationID != nil {
			l, err := tx.Locations.Get(ctx, *in.LocationID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				v.check(false, "location", "that location does not exist (any more)")
			case err != nil:
				return Change{}, err
			default:
				locName = l.Name
			}
		}
		if err := v.err(); err != nil {
			return Change{}, err
		}
		before := fmt.Sprintf("name %q, location %s, active %t", rx.Name, locationIDText(rx.LocationID), rx.Active)
		activeChanged = rx.Active != in.Active
		rx.Name, rx.LocationID = in.Name, in.LocationID
		if err := tx.Receivers.Update(ctx, rx, "name", "location_id"); err != nil {
			return Change{}, err
		}
		if activeChanged {
			if err := (&Devices{st: tx, now: s.now}).applyBulk(ctx, tx, ReceiverBulkInput{Action: map[bool]ReceiverAction{true: BulkReactivate, false: BulkMarkInactive}[in.Active]}, []int64{id}); err != nil {
				return Change{}, err
			}
		}
		return Change{
			Action: "receiver.edit", ObjectKind: "receiver", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("%s → name %q, location %s, active %t", before, in.Name, locName, in.Active),
		}, nil
	})
	if err != nil {
		if IsValidation(err) {
			return false, err
		}
		return false, fmt.Errorf("edit receiver %d: %w", id, err)
	}
	return activeChanged, nil
}

func locationIDText(id *int64) string {
	if id == nil {
		return "none"
	}
	return fmt.Sprintf("#%d", *id)
}
