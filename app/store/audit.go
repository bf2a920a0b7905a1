package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// AuditEvents is the repository of the audit log. Rows are only added.
type AuditEvents struct{ db bun.IDB }

// Create appends an event.
func (r *AuditEvents) Create(ctx context.Context, e *model.AuditEvent) error {
	if e.ObjectIDs == nil {
		e.ObjectIDs = []int64{}
	}
	_, err := r.db.NewInsert().Model(e).Returning("*").Exec(ctx)
	return wrap(err, "record audit event %q", e.Action)
}

// AuditQuery is a chainable filter of the audit log, newest first:
//
//	st.AuditEvents.Query().ByActor("ana").WithAction("user.disable").Since(t).Paginate(p).List(ctx)
type AuditQuery struct {
	db      bun.IDB
	filters []func(*bun.SelectQuery) *bun.SelectQuery
	page    Page
}

// Query starts an audit query.
func (r *AuditEvents) Query() *AuditQuery { return &AuditQuery{db: r.db} }

func (q *AuditQuery) where(f func(*bun.SelectQuery) *bun.SelectQuery) *AuditQuery {
	q.filters = append(q.filters, f)
	return q
}

// ByActor keeps events by one actor (a username, "cli", "api token NAME"),
// in any letter case.
func (q *AuditQuery) ByActor(actor string) *AuditQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("lower(ae.actor) = lower(?)", actor) })
}

// ByUser keeps events by one user account.
func (q *AuditQuery) ByUser(id int64) *AuditQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("ae.user_id = ?", id) })
}

// WithAction keeps events of one action ("user.create").
func (q *AuditQuery) WithAction(action string) *AuditQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("ae.action = ?", action) })
}

// OnObject keeps events that touched one object.
func (q *AuditQuery) OnObject(kind string, id int64) *AuditQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("ae.object_kind = ? AND ? = ANY(ae.object_ids)", kind, id)
	})
}

// Since keeps events at or after t.
func (q *AuditQuery) Since(t time.Time) *AuditQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("ae.at >= ?", t) })
}

// Before keeps events before t.
func (q *AuditQuery) Before(t time.Time) *AuditQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("ae.at < ?", t) })
}

// Paginate returns one page of the result.
func (q *AuditQuery) Paginate(p Page) *AuditQuery {
	q.page = p
	return q
}

func (q *AuditQuery) build(dst *[]*model.AuditEvent) *bun.SelectQuery {
	s := q.db.NewSelect().Model(dst)
	for _, f := range q.filters {
		s = s.WhereGroup(" AND ", f)
	}
	return s
}

// List runs the query, newest first.
func (q *AuditQuery) List(ctx context.Context) ([]*model.AuditEvent, error) {
	var out []*model.AuditEvent
	s := q.build(&out).OrderExpr("ae.at DESC").OrderExpr("ae.id DESC")
	if err := q.page.apply(s).Scan(ctx); err != nil {
		return nil, wrap(err, "list audit events")
	}
	return out, nil
}

// Count counts the matching events, ignoring paging.
func (q *AuditQuery) Count(ctx context.Context) (int, error) {
	var out []*model.AuditEvent
	n, err := q.build(&out).Count(ctx)
	if err != nil {
		return 0, wrap(err, "count audit events")
	}
	return int(n), nil
}

// Actions lists the distinct actions recorded, for a filter menu.
func (r *AuditEvents) Actions(ctx context.Context) ([]string, error) {
	var out []string
	err := r.db.NewSelect().Model((*model.AuditEvent)(nil)).Distinct().Column("action").Order("action").Scan(ctx, &out)
	if err != nil {
		return nil, wrap(err, "list audit actions")
	}
	return out, nil
}

// Actors lists the distinct actors recorded, for a filter menu.
func (r *AuditEvents) Actors(ctx context.Context) ([]string, error) {
	var out []string
	err := r.db.NewSelect().Model((*model.AuditEvent)(nil)).ColumnExpr("DISTINCT ae.actor").OrderExpr("ae.actor").Scan(ctx, &out)
	if err != nil {
		return nil, wrap(err, "list audit actors")
	}
	return out, nil
}
