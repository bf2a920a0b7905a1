package store

import (
	"context"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Performers is the repository of performers.
type Performers struct{ db bun.IDB }

// Create inserts a performer.
func (r *Performers) Create(ctx context.Context, p *model.Performer) error {
	_, err := r.db.NewInsert().Model(p).Returning("*").Exec(ctx)
	return wrap(err, "create performer %q", p.Name)
}

// Get loads one performer.
func (r *Performers) Get(ctx context.Context, id int64) (*model.Performer, error) {
	p := new(model.Performer)
	if err := r.db.NewSelect().Model(p).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "load performer %d", id)
	}
	return p, nil
}

// List lists performers by name; activeOnly hides retired ones.
func (r *Performers) List(ctx context.Context, activeOnly bool) ([]*model.Performer, error) {
	var out []*model.Performer
	q := r.db.NewSelect().Model(&out).OrderExpr("lower(pf.name)").Order("pf.id")
	if activeOnly {
		q = q.Where("pf.active")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err, "list performers")
	}
	return out, nil
}

// Update writes a performer.
func (r *Performers) Update(ctx context.Context, p *model.Performer) error {
	res, err := r.db.NewUpdate().Model(p).WherePK().ExcludeColumn("id", "created_at", "updated_at").Set("updated_at = now()").Exec(ctx)
	if err != nil {
		return wrap(err, "update performer %d", p.ID)
	}
	return rowsOrNotFound(res, "update performer %d", p.ID)
}

// Delete removes a performer and their assignments.
func (r *Performers) Delete(ctx context.Context, id int64) error {
	res, err := r.db.NewDelete().Model((*model.Performer)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return wrap(err, "delete performer %d", id)
	}
	return rowsOrNotFound(res, "delete performer %d", id)
}
