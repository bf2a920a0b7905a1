package store

import (
	"context"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Search keeps assignments whose performer, channel or receiver name
// contains text, in any letter case.
func (q *AssignmentQuery) Search(text string) *AssignmentQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where(`strpos(lower(asg.notes || ' ' || (SELECT pf.name FROM performers pf WHERE pf.id = asg.performer_id)
			|| ' ' || (SELECT c.name || ' ' || c.override_name || ' ' || r.name FROM channels c JOIN receivers r ON r.id = c.receiver_id WHERE c.id = asg.channel_id)), lower(?)) > 0`, text)
	})
}

// Ended keeps the assignments no longer in force.
func (q *AssignmentQuery) Ended() *AssignmentQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("NOT asg.active") })
}

// WithPriority keeps assignments of one priority.
func (q *AssignmentQuery) WithPriority(p model.Priority) *AssignmentQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("asg.priority = ?", p) })
}

// WithoutAlerts keeps assignments that raise no alert at all.
func (q *AssignmentQuery) WithoutAlerts() *AssignmentQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("NOT (asg.alert_battery_low OR asg.alert_signal_loss OR asg.alert_audio_low OR asg.alert_device_offline)")
	})
}

func (q *AssignmentQuery) apply(s *bun.SelectQuery) *bun.SelectQuery {
	for _, f := range q.filters {
		s = s.WhereGroup(" AND ", f)
	}
	return s
}

// Count counts the matching assignments.
func (q *AssignmentQuery) Count(ctx context.Context) (int, error) {
	n, err := q.apply(q.db.NewSelect().Model((*model.Assignment)(nil))).Count(ctx)
	if err != nil {
		return 0, wrap(err, "count assignments")
	}
	return int(n), nil
}

// IDs lists the ids of every matching assignment, for "all matching this
// filter" bulk actions.
func (q *AssignmentQuery) IDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	if err := q.apply(q.db.NewSelect().Model((*model.Assignment)(nil)).Column("asg.id")).Order("asg.id").Scan(ctx, &ids); err != nil {
		return nil, wrap(err, "list assignment ids")
	}
	return ids, nil
}

var assignmentOrder = map[string]string{
	"performer": "lower(performer.name)",
	"channel":   "lower(channel.name)",
	"priority":  "array_position(ARRAY['critical','high','normal','low'], asg.priority)",
	"updated":   "asg.updated_at",
	"active":    "asg.active",
}

// ListPage lists one page of the matching assignments with performer,
// channel and receiver loaded, sorted by a whitelisted key (performer,
// channel, priority, updated, active).
func (q *AssignmentQuery) ListPage(ctx context.Context, sort string, desc bool, p Page) ([]*model.Assignment, error) {
	col, err := orderColumn(assignmentOrder, sort)
	if err != nil {
		return nil, err
	}
	if desc {
		col += " DESC"
	}
	var out []*model.Assignment
	s := q.db.NewSelect().Model(&out).Relation("Performer").Relation("Channel").Relation("Channel.Receiver")
	s = p.apply(q.apply(s).OrderExpr(col).Order("asg.id"))
	if err := s.Scan(ctx); err != nil {
		return nil, wrap(err, "list assignments")
	}
	return out, nil
}

// ByName finds a performer by name, in any letter case; the oldest wins
// when several share it.
func (r *Performers) ByName(ctx context.Context, name string) (*model.Performer, error) {
	p := new(model.Performer)
	if err := r.db.NewSelect().Model(p).Where("lower(pf.name) = lower(?)", name).Order("pf.id").Limit(1).Scan(ctx); err != nil {
		return nil, wrap(err, "load performer %q", name)
	}
	return p, nil
}

// PerformerRow is a performer with how many assignments they hold.
type PerformerRow struct {
	model.Performer `bun:",extend"`
	Assignments     int `bun:"assignments,scanonly"`
	// PhoneLinks counts the performer's "my packs" links not revoked.
	PhoneLinks int `bun:"phone_links,scanonly"`
}

var performerOrder = map[string]string{"name": "lower(pf.name)", "role": "lower(pf.role)", "assignments": "assignments", "updated": "pf.updated_at"}

// Search lists one page of performers whose name or role contains text
// (all when empty), with the count of their active assignments and of
// their live phone links, and how many match in all.
func (r *Performers) Search(ctx context.Context, text, sort string, desc bool, p Page) ([]*PerformerRow, int, error) {
	col, err := orderColumn(performerOrder, sort)
	if err != nil {
		return nil, 0, err
	}
	if desc {
		col += " DESC"
	}
	var out []*PerformerRow
	s := r.db.NewSelect().Model(&out).ColumnExpr("pf.*").
		ColumnExpr("(SELECT count(*) FROM assignments a WHERE a.performer_id = pf.id AND a.active) AS assignments").
		ColumnExpr("(SELECT count(*) FROM performer_links l WHERE l.performer_id = pf.id AND l.revoked_at IS NULL) AS phone_links")
	if text != "" {
		s = s.Where("strpos(lower(pf.name || ' ' || pf.role), lower(?)) > 0", text)
	}
	n, err := s.Count(ctx)
	if err != nil {
		return nil, 0, wrap(err, "count performers")
	}
	if err := p.apply(s.OrderExpr(col).Order("pf.id")).Scan(ctx); err != nil {
		return nil, 0, wrap(err, "list performers")
	}
	return out, int(n), nil
}

// EndMany ends the active assignments among ids and returns how many it
// ended.
func (r *Assignments) EndMany(ctx context.Context, ids ...int64) (int, error) {
	res, err := r.db.NewUpdate().Model((*model.Assignment)(nil)).
		Set("active = false").Set("updated_at = now()").
		Where("id IN (?) AND active", bun.In(ids)).Exec(ctx)
	if err != nil {
		return 0, wrap(err, "end %d assignments", len(ids))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
