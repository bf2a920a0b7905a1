package service

import (
	"context"
	"errors"
	"fmt"

	"micboard/app/model"
	"micboard/app/store"
)

// Review actions on a found device.
const (
	ReviewApprove   = "approve"
	ReviewReject    = "reject"
	ReviewDuplicate = "duplicate"
)

// DiscoveryBulkRow is one found device a review refused, and why.
type DiscoveryBulkRow struct {
	ID     int64
	Label  string // "10.0.0.21:2202 (ULXD4Q)"
	Reason string
}

// DiscoveryBulkResult says what a review changed and what it refused.
type DiscoveryBulkResult struct {
	Action  string
	Changed []int64
	Refused []DiscoveryBulkRow
}

// MaxDiscoveryBulk bounds one review of many found devices.
const MaxDiscoveryBulk = 1000

// FoundLabel names a found device in words.
func FoundLabel(d *model.DiscoveredDevice) string {
	label := fmt.Sprintf("%s:%d", d.Host, d.Port)
	if d.Model != "" {
		label += " (" + d.Model + ")"
	}
	return label
}

// ReviewFound approves (registers as receivers), rejects, or marks as
// duplicates many found devices in one transaction with one audit row.
// Devices no longer waiting (already reviewed) or unknown are refused with
// the reason and left as they are; the others change together or not at
// all.
func ReviewFound(ctx context.Context, st *store.Store, actor Actor, action string, ids []int64) (DiscoveryBulkResult, error) {
	res := DiscoveryBulkResult{Action: action}
	v := validator{}
	v.check(action == ReviewApprove || action == ReviewReject || action == ReviewDuplicate, "action", "choose approve, reject or mark duplicate")
	v.check(len(ids) > 0, "ids", "tick at least one device, or choose all that match the filter")
	v.check(len(ids) <= MaxDiscoveryBulk, "ids", fmt.Sprintf("at most %d devices at once: narrow the filter", MaxDiscoveryBulk))
	if err := v.err(); err != nil {
		return res, err
	}
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		res.Changed, res.Refused = nil, nil
		seen := map[int64]bool{}
		var labels []string
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			d, err := tx.DiscoveredDevices.Get(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				res.Refused = append(res.Refused, DiscoveryBulkRow{ID: id, Label: fmt.Sprintf("device %d", id), Reason: "no such found device"})
				continue
			}
			if err != nil {
				return Change{}, err
			}
			if d.State != model.DiscoveredNew {
				res.Refused = append(res.Refused, DiscoveryBulkRow{ID: id, Label: FoundLabel(d), Reason: "already " + string(d.State)})
				continue
			}
			switch action {
			case ReviewApprove:
				// A device whose facts cannot make a receiver is refused; its
				// validation runs before any write, so the others go on.
				var ve *ValidationError
				if _, err := NewDiscovery(tx).Approve(ctx, id, nil); errors.As(err, &ve) {
					res.Refused = append(res.Refused, DiscoveryBulkRow{ID: id, Label: FoundLabel(d), Reason: ve.Error()})
					continue
				} else if err != nil {
					return Change{}, fmt.Errorf("approve %s: %w", FoundLabel(d), err)
				}
			case ReviewReject:
				if err := tx.DiscoveredDevices.SetState(ctx, id, model.DiscoveredRejected, d.ReceiverID); err != nil {
					return Change{}, err
				}
			case ReviewDuplicate:
				if err := tx.DiscoveredDevices.SetState(ctx, id, model.DiscoveredDuplicate, d.ReceiverID); err != nil {
					return Change{}, err
				}
			}
			res.Changed = append(res.Changed, id)
			labels = append(labels, FoundLabel(d))
		}
		if len(res.Changed) == 0 {
			return Change{}, errNothingToDo
		}
		return Change{Action: "discovery." + action, ObjectKind: "discovered_device", ObjectIDs: res.Changed,
			Summary: fmt.Sprintf("%s %d found device(s): %v; %d refused", action, len(res.Changed), labels, len(res.Refused))}, nil
	})
	if errors.Is(err, errNothingToDo) {
		return res, nil
	}
	if err != nil {
		return DiscoveryBulkResult{Action: action}, fmt.Errorf("review found devices: %w", err)
	}
	return res, nil
}
