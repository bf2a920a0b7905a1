package store

import (
	"context"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Users is the repository of login accounts.
type Users struct{ db bun.IDB }

// Create inserts a user; a taken username (in any letter case) is
// ErrAlreadyExists.
func (r *Users) Create(ctx context.Context, u *model.User) error {
	_, err := r.db.NewInsert().Model(u).Returning("*").Exec(ctx)
	return wrap(err, "create user %q", u.Username)
}

// ByUsername finds a user, ignoring letter case.
func (r *Users) ByUsername(ctx context.Context, name string) (*model.User, error) {
	u := new(model.User)
	if err := r.db.NewSelect().Model(u).Where("lower(username) = lower(?)", name).Scan(ctx); err != nil {
		return nil, wrap(err, "find user %q", name)
	}
	return u, nil
}

// Get loads a user.
func (r *Users) Get(ctx context.Context, id int64) (*model.User, error) {
	u := new(model.User)
	if err := r.db.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "load user %d", id)
	}
	return u, nil
}

// Update writes a user.
func (r *Users) Update(ctx context.Context, u *model.User) error {
	res, err := r.db.NewUpdate().Model(u).WherePK().ExcludeColumn("id", "created_at", "updated_at").Set("updated_at = now()").Exec(ctx)
	if err != nil {
		return wrap(err, "update user %d", u.ID)
	}
	return rowsOrNotFound(res, "update user %d", u.ID)
}
