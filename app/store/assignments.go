package store

import (
	"context"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Assignments is the repository of performer-to-channel assignments.
type Assignments struct{ db bun.IDB }

// AssignmentQuery is a chainable assignment filter.
type AssignmentQuery struct {
	db      bun.IDB
	filters []func(*bun.SelectQuery) *bun.SelectQuery
}

// Query starts an assignment query.
func (r *Assignments) Query() *AssignmentQuery { return &AssignmentQuery{db: r.db} }

func (q *AssignmentQuery) where(f func(*bun.SelectQuery) *bun.SelectQuery) *AssignmentQuery {
	q.filters = append(q.filters, f)
	return q
}

// ByPerformer keeps one performer's assignments.
func (q *AssignmentQuery) ByPerformer(id int64) *AssignmentQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("asg.performer_id = ?", id) })
}

// ByChannel keeps one channel's assignments.
func (q *AssignmentQuery) ByChannel(id int64) *AssignmentQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("asg.channel_id = ?", id) })
}

// Active keeps the assignments in force.
func (q *AssignmentQuery) Active() *AssignmentQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("asg.active") })
}

// WithAlerts keeps assignments that raise at least one alert.
func (q *AssignmentQuery) WithAlerts() *AssignmentQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("asg.alert_battery_low OR asg.alert_signal_loss OR asg.alert_audio_low OR asg.alert_device_offline")
	})
}

// List runs the query with performer and channel loaded, highest priority
// first.
func (q *AssignmentQuery) List(ctx context.Context) ([]*model.Assignment, error) {
	var out []*model.Assignment
	s := q.db.NewSelect().Model(&out).Relation("Performer").Relation("Channel")
	for _, f := range q.filters {
		s = s.WhereGroup(" AND ", f)
	}
	s = s.OrderExpr("array_position(ARRAY['critical','high','normal','low'], asg.priority)").Order("asg.id")
	if err := s.Scan(ctx); err != nil {
		return nil, wrap(err, "list assignments")
	}
	return out, nil
}

// Get loads one assignment.
func (r *Assignments) Get(ctx context.Context, id int64) (*model.Assignment, error) {
	a := new(model.Assignment)
	if err := r.db.NewSelect().Model(a).Relation("Performer").Relation("Channel").Where("asg.id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "load assignment %d", id)
	}
	return a, nil
}

// ActiveForChannel returns the assignment in force on a channel.
func (r *Assignments) ActiveForChannel(ctx context.Context, channelID int64) (*model.Assignment, error) {
	a := new(model.Assignment)
	err := r.db.NewSelect().Model(a).Relation("Performer").Where("asg.channel_id = ? AND asg.active", channelID).Scan(ctx)
	if err != nil {
		return nil, wrap(err, "load assignment of channel %d", channelID)
	}
	return a, nil
}

// Create inserts an assignment.
func (r *Assignments) Create(ctx context.Context, a *model.Assignment) error {
	_, err := r.db.NewInsert().Model(a).Returning("*").Exec(ctx)
	return wrap(err, "create assignment of performer %d to channel %d", a.PerformerID, a.ChannelID)
}

// Update writes the named columns (all when none) and bumps updated_at.
func (r *Assignments) Update(ctx context.Context, a *model.Assignment, columns ...string) error {
	q := r.db.NewUpdate().Model(a).WherePK().Set("updated_at = now()")
	if len(columns) > 0 {
		q = q.Column(columns...)
	} else {
		q = q.ExcludeColumn("id", "created_at", "updated_at")
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return wrap(err, "update assignment %d", a.ID)
	}
	return rowsOrNotFound(res, "update assignment %d", a.ID)
}

// Delete removes an assignment.
func (r *Assignments) Delete(ctx context.Context, id int64) error {
	res, err := r.db.NewDelete().Model((*model.Assignment)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return wrap(err, "delete assignment %d", id)
	}
	return rowsOrNotFound(res, "delete assignment %d", id)
}

// SetAlertFlags sets the alert flags of many assignments at once and
// returns how many rows it touched.
func (r *Assignments) SetAlertFlags(ctx context.Context, f model.AlertFlags, ids ...int64) (int, error) {
	res, err := r.db.NewUpdate().Model((*model.Assignment)(nil)).
		Set("alert_battery_low = ?", f.BatteryLow).
		Set("alert_signal_loss = ?", f.SignalLoss).
		Set("alert_audio_low = ?", f.AudioLow).
		Set("alert_device_offline = ?", f.DeviceOffline).
		Set("updated_at = now()").
		Where("id IN (?)", bun.In(ids)).Exec(ctx)
	if err != nil {
		return 0, wrap(err, "set alert flags of %d assignments", len(ids))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
