package store

import (
	"context"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// BoardGroups is the repository of saved board groups.
type BoardGroups struct{ db bun.IDB }

// List lists the groups by number.
func (r *BoardGroups) List(ctx context.Context) ([]*model.BoardGroup, error) {
	var out []*model.BoardGroup
	if err := r.db.NewSelect().Model(&out).Order("grp.number").Scan(ctx); err != nil {
		return nil, wrap(err, "list board groups")
	}
	return out, nil
}

// ByNumber loads the group on a number key.
func (r *BoardGroups) ByNumber(ctx context.Context, n int) (*model.BoardGroup, error) {
	g := new(model.BoardGroup)
	if err := r.db.NewSelect().Model(g).Where("number = ?", n).Scan(ctx); err != nil {
		return nil, wrap(err, "load board group %d", n)
	}
	return g, nil
}

// Save creates the group on its number or replaces it.
func (r *BoardGroups) Save(ctx context.Context, g *model.BoardGroup) error {
	_, err := r.db.NewInsert().Model(g).
		On("CONFLICT (number) DO UPDATE").
		Set("name = EXCLUDED.name").Set("slots = EXCLUDED.slots").Set("updated_at = now()").
		Returning("*").Exec(ctx)
	return wrap(err, "save board group %d", g.Number)
}

// Delete removes the group on a number key.
func (r *BoardGroups) Delete(ctx context.Context, n int) error {
	res, err := r.db.NewDelete().Model((*model.BoardGroup)(nil)).Where("number = ?", n).Exec(ctx)
	if err != nil {
		return wrap(err, "delete board group %d", n)
	}
	return rowsOrNotFound(res, "delete board group %d", n)
}

// ExistingChannels returns which of ids are channels.
func (r *BoardGroups) ExistingChannels(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var found []int64
	if err := r.db.NewSelect().Table("channels").Column("id").Where("id IN (?)", bun.In(ids)).Scan(ctx, &found); err != nil {
		return nil, wrap(err, "check channels")
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}
