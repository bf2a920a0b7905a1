package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Kiosks is the repository of wall displays.
type Kiosks struct{ db bun.IDB }

// Create inserts a kiosk.
func (r *Kiosks) Create(ctx context.Context, k *model.Kiosk) error {
	_, err := r.db.NewInsert().Model(k).Returning("*").Exec(ctx)
	return wrap(err, "create kiosk %q", k.Name)
}

// ByTokenHash finds a kiosk by the hash of its secret, revoked or not.
func (r *Kiosks) ByTokenHash(ctx context.Context, hash []byte) (*model.Kiosk, error) {
	k := new(model.Kiosk)
	if err := r.db.NewSelect().Model(k).Where("token_hash = ?", hash).Scan(ctx); err != nil {
		return nil, wrap(err, "find kiosk by token")
	}
	return k, nil
}

// List lists kiosks, active ones first, by name.
func (r *Kiosks) List(ctx context.Context) ([]*model.Kiosk, error) {
	var out []*model.Kiosk
	err := r.db.NewSelect().Model(&out).OrderExpr("ksk.revoked_at IS NOT NULL").OrderExpr("lower(ksk.name)").Order("ksk.id").Scan(ctx)
	if err != nil {
		return nil, wrap(err, "list kiosks")
	}
	return out, nil
}

// FindActive finds an unrevoked kiosk by name (any letter case) or id text.
func (r *Kiosks) FindActive(ctx context.Context, nameOrID string) (*model.Kiosk, error) {
	k := new(model.Kiosk)
	err := r.db.NewSelect().Model(k).Where("revoked_at IS NULL").
		Where("lower(name) = lower(?) OR id::text = ?", nameOrID, nameOrID).Order("id").Limit(1).Scan(ctx)
	if err != nil {
		return nil, wrap(err, "find kiosk %q", nameOrID)
	}
	return k, nil
}

// Revoke marks a kiosk revoked; its URL stops working.
func (r *Kiosks) Revoke(ctx context.Context, id int64, at time.Time) error {
	res, err := r.db.NewUpdate().Model((*model.Kiosk)(nil)).
		Set("revoked_at = ?", at).Set("updated_at = now()").Where("id = ? AND revoked_at IS NULL", id).Exec(ctx)
	if err != nil {
		return wrap(err, "revoke kiosk %d", id)
	}
	return rowsOrNotFound(res, "revoke kiosk %d", id)
}

// SetPageSeconds sets how long an unrevoked kiosk shows each page.
func (r *Kiosks) SetPageSeconds(ctx context.Context, id int64, seconds int) error {
	res, err := r.db.NewUpdate().Model((*model.Kiosk)(nil)).
		Set("page_seconds = ?", seconds).Set("updated_at = now()").Where("id = ? AND revoked_at IS NULL", id).Exec(ctx)
	if err != nil {
		return wrap(err, "set page seconds of kiosk %d", id)
	}
	return rowsOrNotFound(res, "set page seconds of kiosk %d", id)
}

// Seen records a heartbeat from a kiosk.
func (r *Kiosks) Seen(ctx context.Context, id int64, at time.Time, addr, agent string) error {
	_, err := r.db.NewUpdate().Model((*model.Kiosk)(nil)).
		Set("last_seen_at = ?", at).Set("last_seen_addr = ?", addr).Set("last_seen_agent = ?", agent).
		Where("id = ?", id).Exec(ctx)
	return wrap(err, "record heartbeat of kiosk %d", id)
}
