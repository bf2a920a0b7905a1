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

// ActiveByID finds an unrevoked kiosk by id.
func (r *Kiosks) ActiveByID(ctx context.Context, id int64) (*model.Kiosk, error) {
	k := new(model.Kiosk)
	if err := r.db.NewSelect().Model(k).Where("id = ? AND revoked_at IS NULL", id).Scan(ctx); err != nil {
		return nil, wrap(err, "find kiosk %d", id)
	}
	return k, nil
}

// UpdateSettings stores what an unrevoked kiosk shows and how (name, view,
// tiles, meters, heartbeat, paging), never its token, and moves updated_at
// on: a running wall compares it with the one it was drawn with. k's
// UpdatedAt is set to the stored value.
func (r *Kiosks) UpdateSettings(ctx context.Context, k *model.Kiosk) error {
	res, err := r.db.NewUpdate().Model(k).
		Column("name", "view_query", "columns", "tile_size", "show_rf", "show_audio", "heartbeat_seconds", "page_seconds").
		Set("updated_at = clock_timestamp()").
		Where("id = ? AND revoked_at IS NULL", k.ID).Returning("updated_at").Exec(ctx)
	if err != nil {
		return wrap(err, "update kiosk %d", k.ID)
	}
	return rowsOrNotFound(res, "update kiosk %d", k.ID)
}

// Seen records a heartbeat from a kiosk.
func (r *Kiosks) Seen(ctx context.Context, id int64, at time.Time, addr, agent string) error {
	_, err := r.db.NewUpdate().Model((*model.Kiosk)(nil)).
		Set("last_seen_at = ?", at).Set("last_seen_addr = ?", addr).Set("last_seen_agent = ?", agent).
		Where("id = ?", id).Exec(ctx)
	return wrap(err, "record heartbeat of kiosk %d", id)
}
