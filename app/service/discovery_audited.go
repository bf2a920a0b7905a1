package service

import (
	"context"
	"fmt"

	"micboard/app/model"
	"micboard/app/store"
)

// CreateDiscoveryTask adds a discovery task and records it in the audit
// log, in one transaction.
func CreateDiscoveryTask(ctx context.Context, st *store.Store, actor Actor, in TaskInput) (*model.DiscoveryTask, error) {
	var t *model.DiscoveryTask
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		var err error
		if t, err = NewDiscovery(tx).CreateTask(ctx, in); err != nil {
			return Change{}, err
		}
		return Change{Action: "discovery.task.create", ObjectKind: "discovery_task", ObjectIDs: []int64{t.ID},
			Summary: fmt.Sprintf("created task %q: %s %s every %ds", t.Name, t.Kind, t.Target, t.IntervalSeconds)}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("create discovery task: %w", err)
	}
	return t, nil
}
