package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// DiscoveryTasks is the repository of scheduled device searches.
type DiscoveryTasks struct{ db bun.IDB }

// Create inserts a task.
func (r *DiscoveryTasks) Create(ctx context.Context, t *model.DiscoveryTask) error {
	if t.Status == "" {
		t.Status = model.TaskPending
	}
	_, err := r.db.NewInsert().Model(t).Returning("*").Exec(ctx)
	return wrap(err, "create discovery task %q", t.Name)
}

// Get loads a task.
func (r *DiscoveryTasks) Get(ctx context.Context, id int64) (*model.DiscoveryTask, error) {
	t := new(model.DiscoveryTask)
	if err := r.db.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "load discovery task %d", id)
	}
	return t, nil
}

// List lists every task by name.
func (r *DiscoveryTasks) List(ctx context.Context) ([]*model.DiscoveryTask, error) {
	var out []*model.DiscoveryTask
	if err := r.db.NewSelect().Model(&out).OrderExpr("lower(dt.name)").Order("dt.id").Scan(ctx); err != nil {
		return nil, wrap(err, "list discovery tasks")
	}
	return out, nil
}

// Update writes a task.
func (r *DiscoveryTasks) Update(ctx context.Context, t *model.DiscoveryTask) error {
	res, err := r.db.NewUpdate().Model(t).WherePK().ExcludeColumn("id", "created_at", "updated_at").Set("updated_at = now()").Exec(ctx)
	if err != nil {
		return wrap(err, "update discovery task %d", t.ID)
	}
	return rowsOrNotFound(res, "update discovery task %d", t.ID)
}

// Due lists enabled tasks that are not running and whose interval has passed
// since their last run at now (never-run tasks are due at once), and running
// tasks whose lease has expired: their run died unfinished, so they are due
// at once rather than an interval later.
func (r *DiscoveryTasks) Due(ctx context.Context, now time.Time) ([]*model.DiscoveryTask, error) {
	var out []*model.DiscoveryTask
	err := r.db.NewSelect().Model(&out).
		Where("dt.enabled").
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("dt.status <> 'running' AND (dt.last_run_at IS NULL OR dt.last_run_at + make_interval(secs => dt.interval_seconds) <= ?)", now).
				WhereOr("dt.status = 'running' AND dt.lease_expires_at <= now()")
		}).
		OrderExpr("dt.last_run_at NULLS FIRST").Order("dt.id").Scan(ctx)
	if err != nil {
		return nil, wrap(err, "list due discovery tasks")
	}
	return out, nil
}

// DiscoveredDevices is the repository of devices found and awaiting approval.
type DiscoveredDevices struct{ db bun.IDB }

// Upsert records a found device by host and port; seeing it again refreshes
// what it said and last_seen_at but keeps its approval state.
func (r *DiscoveredDevices) Upsert(ctx context.Context, d *model.DiscoveredDevice) error {
	if d.State == "" {
		d.State = model.DiscoveredNew
	}
	_, err := r.db.NewInsert().Model(d).
		On("CONFLICT (host, port) DO UPDATE").
		Set("task_id = coalesce(EXCLUDED.task_id, dd.task_id)").
		Set("manufacturer_id = EXCLUDED.manufacturer_id").
		Set("model = EXCLUDED.model").
		Set("name = EXCLUDED.name").
		Set("channels = EXCLUDED.channels").
		Set("serial = EXCLUDED.serial").
		Set("mac = EXCLUDED.mac").
		Set("state = CASE WHEN dd.state = 'new' THEN EXCLUDED.state ELSE dd.state END").
		Set("receiver_id = coalesce(dd.receiver_id, EXCLUDED.receiver_id)").
		Set("last_seen_at = now()").
		Returning("*").Exec(ctx)
	return wrap(err, "record discovered device %s:%d", d.Host, d.Port)
}

// Get loads a discovered device.
func (r *DiscoveredDevices) Get(ctx context.Context, id int64) (*model.DiscoveredDevice, error) {
	d := new(model.DiscoveredDevice)
	if err := r.db.NewSelect().Model(d).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "load discovered device %d", id)
	}
	return d, nil
}

// List lists discovered devices in one state (all when state is empty),
// newest first.
func (r *DiscoveredDevices) List(ctx context.Context, state model.DiscoveredState) ([]*model.DiscoveredDevice, error) {
	var out []*model.DiscoveredDevice
	q := r.db.NewSelect().Model(&out).Order("dd.last_seen_at DESC", "dd.id")
	if state != "" {
		q = q.Where("dd.state = ?", state)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err, "list discovered devices")
	}
	return out, nil
}

// SetState moves a discovered device to a new state, linking the receiver it
// became or duplicates.
func (r *DiscoveredDevices) SetState(ctx context.Context, id int64, st model.DiscoveredState, receiverID *int64) error {
	res, err := r.db.NewUpdate().Model((*model.DiscoveredDevice)(nil)).
		Set("state = ?", st).Set("receiver_id = ?", receiverID).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return wrap(err, "set state of discovered device %d", id)
	}
	return rowsOrNotFound(res, "set state of discovered device %d", id)
}
