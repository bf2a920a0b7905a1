package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Connections is the repository of receiver connection records.
type Connections struct {
	db bun.IDB
	rc *readCache
}

// ConnectionQuery is a chainable connection filter.
type ConnectionQuery struct {
	db      bun.IDB
	rc      *readCache
	tags    tagSet
	filters []func(*bun.SelectQuery) *bun.SelectQuery
}

// Query starts a connection query.
func (r *Connections) Query() *ConnectionQuery {
	return &ConnectionQuery{db: r.db, rc: r.rc, tags: tagSet{tagConnections, tagReceivers}}
}

func (q *ConnectionQuery) where(f func(*bun.SelectQuery) *bun.SelectQuery) *ConnectionQuery {
	q.filters = append(q.filters, f)
	return q
}

// Unhealthy keeps connections in error or disconnected, and ones that have
// heard nothing within timeout (counting from connect or creation when no
// message ever came). Stopped connections belong to receivers nobody watches
// and are never unhealthy.
func (q *ConnectionQuery) Unhealthy(timeout time.Duration) *ConnectionQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("conn.status <> 'stopped'").WhereGroup(" AND ", func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("conn.status IN ('error', 'disconnected')").
				WhereOr("coalesce(conn.last_message_at, conn.connected_at, conn.created_at) < now() - make_interval(secs => ?)", seconds(timeout))
		})
	})
}

// Status keeps connections in one state.
func (q *ConnectionQuery) Status(st model.ConnStatus) *ConnectionQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("conn.status = ?", st) })
}

// ByManufacturer keeps connections to one vendor's receivers.
func (q *ConnectionQuery) ByManufacturer(code string) *ConnectionQuery {
	q.tags.add(tagManufacturers)
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where(`conn.receiver_id IN (SELECT r.id FROM receivers r JOIN manufacturers m ON m.id = r.manufacturer_id WHERE m.code = ?)`, code)
	})
}

// List runs the query with each receiver loaded.
func (q *ConnectionQuery) List(ctx context.Context) ([]*model.Connection, error) {
	var out []*model.Connection
	s := q.db.NewSelect().Model(&out).Relation("Receiver")
	for _, f := range q.filters {
		s = s.WhereGroup(" AND ", f)
	}
	s = s.Order("conn.receiver_id")
	run := func(ctx context.Context) ([]*model.Connection, error) {
		if err := s.Scan(ctx); err != nil {
			return nil, wrap(err, "list connections")
		}
		return out, nil
	}
	return cached(ctx, q.rc, "connections", s, nil, ttlConnections, q.tags, run)
}

// Get loads one connection record with its receiver.
func (r *Connections) Get(ctx context.Context, id int64) (*model.Connection, error) {
	c := new(model.Connection)
	if err := r.db.NewSelect().Model(c).Relation("Receiver").Where("conn.id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "load connection %d", id)
	}
	return c, nil
}

// ByReceiver loads the connection record of a receiver.
func (r *Connections) ByReceiver(ctx context.Context, receiverID int64) (*model.Connection, error) {
	c := new(model.Connection)
	if err := r.db.NewSelect().Model(c).Where("receiver_id = ?", receiverID).Scan(ctx); err != nil {
		return nil, wrap(err, "load connection of receiver %d", receiverID)
	}
	return c, nil
}

// Ensure creates the connection record of a receiver if missing and
// returns it.
func (r *Connections) Ensure(ctx context.Context, receiverID int64, status model.ConnStatus) (*model.Connection, error) {
	defer r.rc.changed(ctx, tagConnections)
	c := &model.Connection{ReceiverID: receiverID, Status: status}
	_, err := r.db.NewInsert().Model(c).On("CONFLICT (receiver_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, wrap(err, "create connection of receiver %d", receiverID)
	}
	return r.ByReceiver(ctx, receiverID)
}

// Update writes the named columns of c and bumps updated_at.
func (r *Connections) Update(ctx context.Context, c *model.Connection, columns ...string) error {
	defer r.rc.changed(ctx, tagConnections)
	q := r.db.NewUpdate().Model(c).Where("receiver_id = ?", c.ReceiverID).Set("updated_at = now()").Returning("*")
	if len(columns) > 0 {
		q = q.Column(columns...)
	} else {
		q = q.ExcludeColumn("id", "receiver_id", "created_at", "updated_at")
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return wrap(err, "update connection of receiver %d", c.ReceiverID)
	}
	return rowsOrNotFound(res, "update connection of receiver %d", c.ReceiverID)
}

// updateMany applies set to the connections of the given receivers and
// returns how many rows changed.
func (r *Connections) updateMany(ctx context.Context, receiverIDs []int64, set func(*bun.UpdateQuery) *bun.UpdateQuery) (int, error) {
	defer r.rc.changed(ctx, tagConnections)
	q := r.db.NewUpdate().Model((*model.Connection)(nil)).Set("updated_at = now()").
		Where("receiver_id IN (?)", bun.In(receiverIDs))
	res, err := set(q).Exec(ctx)
	if err != nil {
		return 0, wrap(err, "update connections of %d receivers", len(receiverIDs))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ResetErrors clears the error count and message of the given receivers'
// connections; one in error goes back to connecting so it is retried.
func (r *Connections) ResetErrors(ctx context.Context, receiverIDs ...int64) (int, error) {
	return r.updateMany(ctx, receiverIDs, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("error_count = 0").Set("error_message = ''").Set("reconnect_attempts = 0").
			Set("status = CASE WHEN status = 'error' THEN 'connecting' ELSE status END")
	})
}

// SetStatus sets the status of the given receivers' connections; leaving
// "connected" stamps disconnected_at.
func (r *Connections) SetStatus(ctx context.Context, st model.ConnStatus, receiverIDs ...int64) (int, error) {
	if !validConnStatus(st) {
		return 0, wrap(ErrInvalid, "set connection status %q", st)
	}
	return r.updateMany(ctx, receiverIDs, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("disconnected_at = CASE WHEN status = 'connected' AND ? <> 'connected' THEN now() ELSE disconnected_at END", st).
			Set("status = ?", st)
	})
}

func validConnStatus(st model.ConnStatus) bool {
	switch st {
	case model.ConnConnecting, model.ConnConnected, model.ConnDisconnected, model.ConnError, model.ConnStopped:
		return true
	}
	return false
}

// StatusCount is the number of connections in one state.
type StatusCount struct {
	Status model.ConnStatus `bun:"status"`
	Count  int              `bun:"count"`
}

// UptimeStats summarises connection health across the fleet.
type UptimeStats struct {
	ByStatus map[model.ConnStatus]int
	// MeanUptime is the mean time the connected receivers have been connected.
	MeanUptime  time.Duration
	TotalErrors int
	Total       int
}

// Stats computes UptimeStats in one round trip.
func (r *Connections) Stats(ctx context.Context) (UptimeStats, error) {
	var rows []struct {
		Status     model.ConnStatus `bun:"status"`
		N          int              `bun:"n"`
		Errors     int              `bun:"errors"`
		UptimeSecs float64          `bun:"uptime_secs"`
	}
	err := r.db.NewSelect().TableExpr("connections").
		ColumnExpr("status, count(*) AS n, coalesce(sum(error_count), 0) AS errors").
		ColumnExpr("coalesce(avg(extract(epoch FROM now() - connected_at)) FILTER (WHERE status = 'connected' AND connected_at IS NOT NULL), 0) AS uptime_secs").
		Group("status").Scan(ctx, &rows)
	if err != nil {
		return UptimeStats{}, wrap(err, "connection stats")
	}
	st := UptimeStats{ByStatus: map[model.ConnStatus]int{}}
	for _, row := range rows {
		st.ByStatus[row.Status] = row.N
		st.Total += row.N
		st.TotalErrors += row.Errors
		if row.Status == model.ConnConnected {
			st.MeanUptime = time.Duration(row.UptimeSecs * float64(time.Second))
		}
	}
	return st, nil
}

// Heartbeat records a message from a receiver: connected, last_message_at
// now, connected_at stamped on the first message after a gap.
func (r *Connections) Heartbeat(ctx context.Context, receiverID int64, at time.Time) error {
	return r.HeartbeatMany(ctx, []int64{receiverID}, at)
}

// HeartbeatMany is Heartbeat for several receivers in one statement.
func (r *Connections) HeartbeatMany(ctx context.Context, receiverIDs []int64, at time.Time) error {
	_, err := r.updateMany(ctx, receiverIDs, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("connected_at = CASE WHEN status = 'connected' AND connected_at IS NOT NULL THEN connected_at ELSE ? END", at).
			Set("last_message_at = ?", at).
			Set("status = 'connected'").
			Set("reconnect_attempts = 0")
	})
	return err
}

// RecordError marks a connection failed with a message, counting it.
func (r *Connections) RecordError(ctx context.Context, receiverID int64, message string, at time.Time) error {
	n, err := r.updateMany(ctx, []int64{receiverID}, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("disconnected_at = CASE WHEN status = 'connected' THEN ? ELSE disconnected_at END", at).
			Set("status = 'error'").
			Set("error_message = ?", message).
			Set("error_count = error_count + 1").
			Set("last_error_at = ?", at)
	})
	if err == nil && n == 0 {
		err = fmt.Errorf("record error of receiver %d: %w", receiverID, ErrNotFound)
	}
	return err
}

// RecordReconnect counts one more attempt to reach a receiver.
func (r *Connections) RecordReconnect(ctx context.Context, receiverID int64) error {
	return r.RecordReconnects(ctx, receiverID, 1)
}

// RecordReconnects counts n attempts to reach a receiver.
func (r *Connections) RecordReconnects(ctx context.Context, receiverID int64, n int) error {
	_, err := r.updateMany(ctx, []int64{receiverID}, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("reconnect_attempts = reconnect_attempts + ?", n).
			Set("status = CASE WHEN status = 'error' THEN status ELSE 'connecting' END")
	})
	return err
}

// RecordFailedAttempts counts n failed attempts to reach a receiver, as
// errors and reconnects, in one statement, keeping the last reason.
func (r *Connections) RecordFailedAttempts(ctx context.Context, receiverID int64, n int, message string, at time.Time) error {
	_, err := r.updateMany(ctx, []int64{receiverID}, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("disconnected_at = CASE WHEN status = 'connected' THEN ? ELSE disconnected_at END", at).
			Set("status = 'error'").
			Set("error_message = ?", message).
			Set("error_count = error_count + ?", n).
			Set("reconnect_attempts = reconnect_attempts + ?", n).
			Set("last_error_at = ?", at)
	})
	return err
}

// MarkStale moves connected links that heard nothing within timeout to
// disconnected and returns their receivers.
func (r *Connections) MarkStale(ctx context.Context, timeout time.Duration) ([]int64, error) {
	defer r.rc.changed(ctx, tagConnections)
	var ids []int64
	_, err := r.db.NewUpdate().Model((*model.Connection)(nil)).
		Set("status = 'disconnected'").Set("disconnected_at = now()").Set("updated_at = now()").
		Where("status = 'connected'").
		Where("coalesce(last_message_at, connected_at, created_at) < now() - make_interval(secs => ?)", seconds(timeout)).
		Returning("receiver_id").Exec(ctx, &ids)
	if err != nil {
		return nil, wrap(err, "mark stale connections")
	}
	return ids, nil
}
