package store

import (
	"context"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Manufacturers is the repository of device vendors.
type Manufacturers struct{ db bun.IDB }

// List lists vendors by name; activeOnly hides disabled ones.
func (r *Manufacturers) List(ctx context.Context, activeOnly bool) ([]*model.Manufacturer, error) {
	var out []*model.Manufacturer
	q := r.db.NewSelect().Model(&out).Order("mf.name")
	if activeOnly {
		q = q.Where("mf.active")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err, "list manufacturers")
	}
	return out, nil
}

// ByCode finds a vendor by code ("shure").
func (r *Manufacturers) ByCode(ctx context.Context, code string) (*model.Manufacturer, error) {
	m := new(model.Manufacturer)
	if err := r.db.NewSelect().Model(m).Where("code = ?", code).Scan(ctx); err != nil {
		return nil, wrap(err, "find manufacturer %q", code)
	}
	return m, nil
}

// Get loads a vendor by id.
func (r *Manufacturers) Get(ctx context.Context, id int64) (*model.Manufacturer, error) {
	m := new(model.Manufacturer)
	if err := r.db.NewSelect().Model(m).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "load manufacturer %d", id)
	}
	return m, nil
}

// Ensure finds the vendor with m.Code, inserting m when there is none, so a
// vendor registered in app/device gets its row without a migration.
func (r *Manufacturers) Ensure(ctx context.Context, m *model.Manufacturer) (*model.Manufacturer, error) {
	if len(m.Config) == 0 {
		m.Config = []byte("{}")
	}
	m.Active = true
	if _, err := r.db.NewInsert().Model(m).
		Column("code", "name", "active", "config").
		On("CONFLICT (code) DO NOTHING").Exec(ctx); err != nil {
		return nil, wrap(err, "add manufacturer %q", m.Code)
	}
	return r.ByCode(ctx, m.Code)
}
