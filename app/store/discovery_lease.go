package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"micboard/app/model"
)

// ErrLeaseHeld: another instance holds a live lease on the task.
var ErrLeaseHeld = fmt.Errorf("discovery task is running elsewhere: %w", ErrConflict)

// ErrLeaseLost: the caller's lease on the task expired and another instance
// took the task over (or it was never the caller's).
var ErrLeaseLost = fmt.Errorf("lease on discovery task lost: %w", ErrConflict)

// Lease times come from PostgreSQL's clock (now()), not the caller's, so
// instances whose clocks disagree still agree on when a lease has expired.

// Claim marks a task running for owner until ttl from now, unless another
// owner holds an unexpired lease (ErrLeaseHeld). A running task whose lease
// has expired is taken over: its owner died without finishing.
func (r *DiscoveryTasks) Claim(ctx context.Context, id int64, owner string, ttl time.Duration, startedAt time.Time) (*model.DiscoveryTask, error) {
	t := new(model.DiscoveryTask)
	err := r.db.NewUpdate().Model(t).
		Set("status = ?", model.TaskRunning).
		Set("last_run_at = ?", startedAt).
		Set("last_error = ''").Set("scanned = 0").Set("found = 0").
		Set("lease_owner = ?", owner).
		Set("lease_expires_at = now() + make_interval(secs => ?)", ttl.Seconds()).
		Set("updated_at = now()").
		Where("id = ?", id).
		Where("status <> 'running' OR lease_expires_at <= now()").
		Returning("*").Scan(ctx)
	if err == nil {
		return t, nil
	}
	if !errors.Is(mapError(err), ErrNotFound) {
		return nil, wrap(err, "claim discovery task %d", id)
	}
	if _, gerr := r.Get(ctx, id); gerr != nil {
		return nil, fmt.Errorf("claim discovery task %d: %w", id, gerr)
	}
	return nil, fmt.Errorf("claim discovery task %d: %w", id, ErrLeaseHeld)
}

// Renew extends owner's lease to ttl from now; ErrLeaseLost when the task
// is no longer owner's to run.
func (r *DiscoveryTasks) Renew(ctx context.Context, id int64, owner string, ttl time.Duration) error {
	res, err := r.db.NewUpdate().Model((*model.DiscoveryTask)(nil)).
		Set("lease_expires_at = now() + make_interval(secs => ?)", ttl.Seconds()).
		Where("id = ? AND lease_owner = ? AND status = 'running'", id, owner).
		Exec(ctx)
	if err != nil {
		return wrap(err, "renew lease on discovery task %d", id)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("renew lease on discovery task %d: %w", id, ErrLeaseLost)
	}
	return nil
}

// Finish records the outcome of owner's run and releases the lease;
// ErrLeaseLost (nothing written) when another instance took the task over.
func (r *DiscoveryTasks) Finish(ctx context.Context, id int64, owner string, status model.TaskStatus, scanned, found int, lastErr string) error {
	res, err := r.db.NewUpdate().Model((*model.DiscoveryTask)(nil)).
		Set("status = ?", status).Set("scanned = ?", scanned).Set("found = ?", found).
		Set("last_error = ?", lastErr).
		Set("lease_owner = ''").Set("lease_expires_at = NULL").
		Set("updated_at = now()").
		Where("id = ? AND lease_owner = ? AND status = 'running'", id, owner).
		Exec(ctx)
	if err != nil {
		return wrap(err, "finish discovery task %d", id)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("finish discovery task %d: %w", id, ErrLeaseLost)
	}
	return nil
}

// NextLeaseExpiry returns how long until the earliest lease of an enabled
// running task expires (zero or less: already expired); ok is false when no
// such lease exists. The scheduler wakes then to reclaim it.
func (r *DiscoveryTasks) NextLeaseExpiry(ctx context.Context) (time.Duration, bool, error) {
	var secs *float64
	err := r.db.NewSelect().Model((*model.DiscoveryTask)(nil)).
		ColumnExpr("extract(epoch FROM min(dt.lease_expires_at) - now())::float8").
		Where("dt.enabled AND dt.status = 'running' AND dt.lease_expires_at IS NOT NULL").
		Scan(ctx, &secs)
	if err != nil {
		return 0, false, wrap(err, "find next discovery lease expiry")
	}
	if secs == nil {
		return 0, false, nil
	}
	return time.Duration(*secs * float64(time.Second)), true, nil
}
