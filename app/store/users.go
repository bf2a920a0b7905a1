package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Users is the repository of login accounts.
type Users struct{ db bun.IDB }

// UserQuery is a chainable user filter:
//
//	st.Users.Query().Active().WithRole(model.RoleAdmin).Search("ana").List(ctx)
type UserQuery struct {
	db      bun.IDB
	filters []func(*bun.SelectQuery) *bun.SelectQuery
	order   []string
	page    Page
	err     error
}

// Query starts a user query.
func (r *Users) Query() *UserQuery { return &UserQuery{db: r.db} }

func (q *UserQuery) where(f func(*bun.SelectQuery) *bun.SelectQuery) *UserQuery {
	q.filters = append(q.filters, f)
	return q
}

// Active keeps users who may log in.
func (q *UserQuery) Active() *UserQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("u.active") })
}

// Disabled keeps users who may not log in.
func (q *UserQuery) Disabled() *UserQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("NOT u.active") })
}

// WithRole keeps users of one role.
func (q *UserQuery) WithRole(r model.Role) *UserQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("u.role = ?", r) })
}

// Search keeps users whose name contains text, in any letter case.
func (q *UserQuery) Search(text string) *UserQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("strpos(lower(u.username), lower(?)) > 0", text)
	})
}

var userOrder = map[string]string{
	"username": "lower(u.username)", "role": "u.role", "created_at": "u.created_at",
	"last_login_at": "u.last_login_at", "active": "u.active",
}

// OrderBy sorts by a whitelisted key (username, role, created_at,
// last_login_at, active); calls add tie-breakers.
func (q *UserQuery) OrderBy(key string, desc bool) *UserQuery {
	col, err := orderColumn(userOrder, key)
	if err != nil {
		q.err = err
		return q
	}
	if desc {
		col += " DESC NULLS LAST"
	}
	q.order = append(q.order, col)
	return q
}

// Paginate returns one page of the result.
func (q *UserQuery) Paginate(p Page) *UserQuery {
	q.page = p
	return q
}

func (q *UserQuery) build(dst *[]*model.User) *bun.SelectQuery {
	s := q.db.NewSelect().Model(dst)
	for _, f := range q.filters {
		s = s.WhereGroup(" AND ", f)
	}
	return s
}

// List runs the query; without an order, users come by name.
func (q *UserQuery) List(ctx context.Context) ([]*model.User, error) {
	if q.err != nil {
		return nil, q.err
	}
	var out []*model.User
	s := q.build(&out)
	for _, o := range q.order {
		s = s.OrderExpr(o)
	}
	if len(q.order) == 0 {
		s = s.OrderExpr("lower(u.username)")
	}
	if err := q.page.apply(s.OrderExpr("u.id")).Scan(ctx); err != nil {
		return nil, wrap(err, "list users")
	}
	return out, nil
}

// Count counts the matching users, ignoring paging.
func (q *UserQuery) Count(ctx context.Context) (int, error) {
	if q.err != nil {
		return 0, q.err
	}
	var out []*model.User
	n, err := q.build(&out).Count(ctx)
	if err != nil {
		return 0, wrap(err, "count users")
	}
	return int(n), nil
}

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

// GetForUpdate loads a user and locks its row until the transaction ends.
func (r *Users) GetForUpdate(ctx context.Context, id int64) (*model.User, error) {
	u := new(model.User)
	if err := r.db.NewSelect().Model(u).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, wrap(err, "load user %d", id)
	}
	return u, nil
}

// Update writes a user. The session epoch is left alone: only SetPassword
// and SetActive move it, so a stale copy cannot bring old sessions back.
func (r *Users) Update(ctx context.Context, u *model.User) error {
	res, err := r.db.NewUpdate().Model(u).WherePK().ExcludeColumn("id", "created_at", "updated_at", "session_epoch").Set("updated_at = now()").Exec(ctx)
	if err != nil {
		return wrap(err, "update user %d", u.ID)
	}
	return rowsOrNotFound(res, "update user %d", u.ID)
}

// SetPassword stores a new password hash and ends every session of the user.
func (r *Users) SetPassword(ctx context.Context, id int64, hash string) error {
	res, err := r.db.NewUpdate().Model((*model.User)(nil)).
		Set("password_hash = ?", hash).Set("session_epoch = session_epoch + 1").Set("updated_at = now()").
		Where("id = ?", id).Exec(ctx)
	if err != nil {
		return wrap(err, "set password of user %d", id)
	}
	return rowsOrNotFound(res, "set password of user %d", id)
}

// SetActive enables or disables a user; disabling ends every session of
// the user.
func (r *Users) SetActive(ctx context.Context, id int64, active bool) error {
	q := r.db.NewUpdate().Model((*model.User)(nil)).Set("active = ?", active).Set("updated_at = now()").Where("id = ?", id)
	if !active {
		q = q.Set("session_epoch = session_epoch + 1")
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return wrap(err, "set user %d active=%t", id, active)
	}
	return rowsOrNotFound(res, "set user %d active=%t", id, active)
}

// SetRole changes a user's role.
func (r *Users) SetRole(ctx context.Context, id int64, role model.Role) error {
	res, err := r.db.NewUpdate().Model((*model.User)(nil)).Set("role = ?", role).Set("updated_at = now()").Where("id = ?", id).Exec(ctx)
	if err != nil {
		return wrap(err, "set role of user %d", id)
	}
	return rowsOrNotFound(res, "set role of user %d", id)
}

// TouchLogin records a successful login.
func (r *Users) TouchLogin(ctx context.Context, id int64, at time.Time) error {
	_, err := r.db.NewUpdate().Model((*model.User)(nil)).Set("last_login_at = ?", at).Where("id = ?", id).Exec(ctx)
	return wrap(err, "record login of user %d", id)
}

// LockTable takes a lock on the users table that only one transaction at a
// time may hold (reads go on), so "is there any user yet?" and the insert
// that follows cannot interleave with another transaction doing the same.
// Only inside a transaction.
func (r *Users) LockTable(ctx context.Context) error {
	_, err := r.db.ExecContext(ctx, "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
	return wrap(err, "lock users")
}
