package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Alerts is the repository of raised alerts.
type Alerts struct{ db bun.IDB }

// Create inserts an alert and fills its ID.
func (r *Alerts) Create(ctx context.Context, a *model.Alert) error {
	if a.Value == nil {
		a.Value = []byte("{}")
	}
	_, err := r.db.NewInsert().Model(a).Returning("*").Exec(ctx)
	return wrap(err, "create %s alert", a.Kind)
}

// Get loads one alert.
func (r *Alerts) Get(ctx context.Context, id int64) (*model.Alert, error) {
	a := new(model.Alert)
	if err := r.db.NewSelect().Model(a).Where("al.id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "get alert %d", id)
	}
	return a, nil
}

// AlertQuery is a chainable alert filter.
type AlertQuery struct {
	db      bun.IDB
	filters []func(*bun.SelectQuery) *bun.SelectQuery
	limit   int
	page    Page
}

// Query starts an alert query.
func (r *Alerts) Query() *AlertQuery { return &AlertQuery{db: r.db} }

func (q *AlertQuery) where(f func(*bun.SelectQuery) *bun.SelectQuery) *AlertQuery {
	q.filters = append(q.filters, f)
	return q
}

// Unresolved keeps open and acknowledged alerts.
func (q *AlertQuery) Unresolved() *AlertQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("al.state <> ?", model.AlertResolved) })
}

// ForChannels keeps alerts of the given channels.
func (q *AlertQuery) ForChannels(ids ...int64) *AlertQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("al.channel_id IN (?)", bun.In(ids)) })
}

// WithIDs keeps the listed alerts.
func (q *AlertQuery) WithIDs(ids ...int64) *AlertQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("al.id IN (?)", bun.In(ids)) })
}

// InState keeps alerts in one state of their lifecycle.
func (q *AlertQuery) InState(st model.AlertState) *AlertQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("al.state = ?", st) })
}

// WithSeverity keeps alerts of one severity.
func (q *AlertQuery) WithSeverity(sev model.AlertSeverity) *AlertQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("al.severity = ?", sev) })
}

// OfKind keeps alerts of one kind.
func (q *AlertQuery) OfKind(k model.AlertKind) *AlertQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("al.kind = ?", k) })
}

// Limit keeps the newest n.
func (q *AlertQuery) Limit(n int) *AlertQuery { q.limit = n; return q }

// Paginate keeps one page of the newest first.
func (q *AlertQuery) Paginate(p Page) *AlertQuery { q.page = p; return q }

func (q *AlertQuery) build(dst *[]*model.Alert) *bun.SelectQuery {
	s := q.db.NewSelect().Model(dst)
	for _, f := range q.filters {
		s = s.WhereGroup(" AND ", f)
	}
	return s
}

// Count counts the alerts the query keeps.
func (q *AlertQuery) Count(ctx context.Context) (int, error) {
	var out []*model.Alert
	n, err := q.build(&out).Count(ctx)
	if err != nil {
		return 0, wrap(err, "count alerts")
	}
	return int(n), nil
}

// List runs the query, newest first.
func (q *AlertQuery) List(ctx context.Context) ([]*model.Alert, error) {
	var out []*model.Alert
	s := q.build(&out)
	s = s.OrderExpr("al.opened_at DESC, al.id DESC")
	if q.limit > 0 {
		s = s.Limit(int64(q.limit))
	}
	s = q.page.apply(s)
	if err := s.Scan(ctx); err != nil {
		return nil, wrap(err, "list alerts")
	}
	return out, nil
}

// Acknowledge marks an open alert acknowledged by a user. An alert that is
// not open (acknowledged or resolved meanwhile) is ErrNotFound.
func (r *Alerts) Acknowledge(ctx context.Context, id int64, userID *int64, name string, at time.Time) (*model.Alert, error) {
	a := new(model.Alert)
	_, err := r.db.NewUpdate().Model(a).
		Set("state = ?", model.AlertAcknowledged).Set("acknowledged_at = ?", at).
		Set("acknowledged_by = ?", userID).Set("acknowledged_by_name = ?", name).
		Where("id = ? AND state = ?", id, model.AlertOpen).Returning("*").Exec(ctx)
	if err != nil {
		return nil, wrap(err, "acknowledge alert %d", id)
	}
	if a.ID == 0 {
		return nil, wrap(ErrNotFound, "acknowledge alert %d: not open", id)
	}
	return a, nil
}

// Resolve marks an unresolved alert resolved; by is model.ResolvedAuto or
// a person's name. An alert already resolved is ErrNotFound.
func (r *Alerts) Resolve(ctx context.Context, id int64, by string, at time.Time) (*model.Alert, error) {
	a := new(model.Alert)
	_, err := r.db.NewUpdate().Model(a).
		Set("state = ?", model.AlertResolved).Set("resolved_at = ?", at).Set("resolved_by = ?", by).
		Where("id = ? AND state <> ?", id, model.AlertResolved).Returning("*").Exec(ctx)
	if err != nil {
		return nil, wrap(err, "resolve alert %d", id)
	}
	if a.ID == 0 {
		return nil, wrap(ErrNotFound, "resolve alert %d: already resolved", id)
	}
	return a, nil
}

// AlertDeliveries is the repository of delivery attempts.
type AlertDeliveries struct{ db bun.IDB }

// Add records one attempt.
func (r *AlertDeliveries) Add(ctx context.Context, d *model.AlertDelivery) error {
	_, err := r.db.NewInsert().Model(d).Returning("id, at").Exec(ctx)
	return wrap(err, "record %s delivery of alert %d", d.Sink, d.AlertID)
}

// ForAlert lists an alert's attempts, oldest first.
func (r *AlertDeliveries) ForAlert(ctx context.Context, alertID int64) ([]*model.AlertDelivery, error) {
	var out []*model.AlertDelivery
	if err := r.db.NewSelect().Model(&out).Where("alert_id = ?", alertID).Order("at", "id").Scan(ctx); err != nil {
		return nil, wrap(err, "list deliveries of alert %d", alertID)
	}
	return out, nil
}

// Webhooks is the repository of webhook endpoints.
type Webhooks struct{ db bun.IDB }

// Create inserts a webhook.
func (r *Webhooks) Create(ctx context.Context, w *model.Webhook) error {
	if w.Kinds == nil {
		w.Kinds = []model.AlertKind{}
	}
	_, err := r.db.NewInsert().Model(w).Returning("*").Exec(ctx)
	return wrap(err, "create webhook")
}

// List lists webhooks, oldest first; active only when active is true.
func (r *Webhooks) List(ctx context.Context, activeOnly bool) ([]*model.Webhook, error) {
	var out []*model.Webhook
	s := r.db.NewSelect().Model(&out).Order("id")
	if activeOnly {
		s = s.Where("active")
	}
	if err := s.Scan(ctx); err != nil {
		return nil, wrap(err, "list webhooks")
	}
	return out, nil
}

// Deactivate stops a webhook.
func (r *Webhooks) Deactivate(ctx context.Context, id int64) error {
	res, err := r.db.NewUpdate().Model((*model.Webhook)(nil)).Set("active = false").Set("updated_at = now()").
		Where("id = ? AND active", id).Exec(ctx)
	if err != nil {
		return wrap(err, "remove webhook %d", id)
	}
	return rowsOrNotFound(res, "remove webhook %d", id)
}

// AlertSubscriptions is the repository of users who want alert e-mail.
type AlertSubscriptions struct{ db bun.IDB }

// Set stores a user's address and whether they want mail.
func (r *AlertSubscriptions) Set(ctx context.Context, s *model.AlertSubscription) error {
	_, err := r.db.NewInsert().Model(s).
		On("CONFLICT (user_id) DO UPDATE").Set("email = EXCLUDED.email").Set("enabled = EXCLUDED.enabled").
		Set("quiet_from = EXCLUDED.quiet_from").Set("quiet_to = EXCLUDED.quiet_to").Set("time_zone = EXCLUDED.time_zone").
		Set("escalation_rank = EXCLUDED.escalation_rank").Set("updated_at = now()").
		Exec(ctx)
	return wrap(err, "set alert e-mail of user %d", s.UserID)
}

// Get loads a user's alert e-mail setting (ErrNotFound: never set).
func (r *AlertSubscriptions) Get(ctx context.Context, userID int64) (*model.AlertSubscription, error) {
	s := new(model.AlertSubscription)
	if err := r.db.NewSelect().Model(s).Where("asub.user_id = ?", userID).Scan(ctx); err != nil {
		return nil, wrap(err, "get alert e-mail of user %d", userID)
	}
	return s, nil
}

// Recipients lists the addresses of active users who want alert mail.
func (r *AlertSubscriptions) Recipients(ctx context.Context) ([]string, error) {
	var out []string
	err := r.db.NewSelect().Model((*model.AlertSubscription)(nil)).Column("asub.email").
		Join("JOIN users AS u ON u.id = asub.user_id").Where("asub.enabled AND u.active").Order("asub.email").Scan(ctx, &out)
	if err != nil {
		return nil, wrap(err, "list alert e-mail recipients")
	}
	return out, nil
}

// Subscribers lists the settings of active users who want alert mail, by
// address: the mail sink applies each one's quiet hours.
func (r *AlertSubscriptions) Subscribers(ctx context.Context) ([]*model.AlertSubscription, error) {
	var out []*model.AlertSubscription
	err := r.db.NewSelect().Model(&out).
		Join("JOIN users AS u ON u.id = asub.user_id").Where("asub.enabled AND u.active").Order("asub.email").Scan(ctx)
	if err != nil {
		return nil, wrap(err, "list alert e-mail subscribers")
	}
	return out, nil
}

// EscalationContacts lists the active users with an escalation rank, in
// the order critical alerts nobody acknowledges go to them (rank 1 first),
// whether or not they take every alert by mail.
func (r *AlertSubscriptions) EscalationContacts(ctx context.Context) ([]*model.AlertSubscription, error) {
	var out []*model.AlertSubscription
	err := r.db.NewSelect().Model(&out).
		Join("JOIN users AS u ON u.id = asub.user_id").Where("asub.escalation_rank IS NOT NULL AND u.active").
		Order("asub.escalation_rank").Scan(ctx)
	if err != nil {
		return nil, wrap(err, "list escalation contacts")
	}
	return out, nil
}

// PerformerLinks is the repository of performers' secret links.
type PerformerLinks struct{ db bun.IDB }

// Create inserts a link.
func (r *PerformerLinks) Create(ctx context.Context, l *model.PerformerLink) error {
	_, err := r.db.NewInsert().Model(l).Returning("*").Exec(ctx)
	return wrap(err, "create link for performer %d", l.PerformerID)
}

// ByTokenHash finds a link by the hash of its secret, revoked or not, with
// its performer.
func (r *PerformerLinks) ByTokenHash(ctx context.Context, hash []byte) (*model.PerformerLink, error) {
	l := new(model.PerformerLink)
	if err := r.db.NewSelect().Model(l).Relation("Performer").Where("pl.token_hash = ?", hash).Scan(ctx); err != nil {
		return nil, wrap(err, "find performer link by token")
	}
	return l, nil
}

// RevokeAll revokes every live link of a performer and counts them.
func (r *PerformerLinks) RevokeAll(ctx context.Context, performerID int64, at time.Time) (int, error) {
	res, err := r.db.NewUpdate().Model((*model.PerformerLink)(nil)).Set("revoked_at = ?", at).
		Where("performer_id = ? AND revoked_at IS NULL", performerID).Exec(ctx)
	if err != nil {
		return 0, wrap(err, "revoke links of performer %d", performerID)
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "revoke links of performer %d", performerID)
}

// CountLive counts a performer's links not revoked.
func (r *PerformerLinks) CountLive(ctx context.Context, performerID int64) (int, error) {
	n, err := r.db.NewSelect().Model((*model.PerformerLink)(nil)).
		Where("performer_id = ? AND revoked_at IS NULL", performerID).Count(ctx)
	return int(n), wrap(err, "count links of performer %d", performerID)
}

// Seen records that a link was opened.
func (r *PerformerLinks) Seen(ctx context.Context, id int64, at time.Time) error {
	_, err := r.db.NewUpdate().Model((*model.PerformerLink)(nil)).Set("last_seen_at = ?", at).Where("id = ?", id).Exec(ctx)
	return wrap(err, "record visit of performer link %d", id)
}

// FindActiveByName finds an active performer by name (any letter case) or
// id text.
func (r *Performers) FindActiveByName(ctx context.Context, nameOrID string) (*model.Performer, error) {
	p := new(model.Performer)
	err := r.db.NewSelect().Model(p).Where("active").
		Where("lower(name) = lower(?) OR id::text = ?", nameOrID, nameOrID).Order("id").Limit(1).Scan(ctx)
	if err != nil {
		return nil, wrap(err, "find performer %q", nameOrID)
	}
	return p, nil
}
