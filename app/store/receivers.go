package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Receivers is the repository of receivers.
type Receivers struct {
	db bun.IDB
	rc *readCache
}

// ReceiverQuery is a chainable receiver filter:
//
//	st.Receivers.Query().Active().Online().WithLowBattery(model.LowAt(15)).InLocation(id).List(ctx)
type ReceiverQuery struct {
	db      bun.IDB
	rc      *readCache
	tags    tagSet // the tables the answer reads
	live    bool   // the answer moves with the clock: never cached
	filters []func(*bun.SelectQuery) *bun.SelectQuery
	order   []string
	page    Page
	rels    []string
	err     error
}

// Query starts a receiver query.
func (r *Receivers) Query() *ReceiverQuery {
	return &ReceiverQuery{db: r.db, rc: r.rc, tags: tagSet{tagReceivers}}
}

// CacheTags are the tags of the tables the answer reads, and whether it may
// be cached at all (one that moves with the clock may not): for callers
// that cache what they build from it (Store.ReadCache).
func (q *ReceiverQuery) CacheTags() (tags []string, cacheable bool) {
	return append([]string(nil), q.tags...), !q.live && q.err == nil
}

func (q *ReceiverQuery) where(f func(*bun.SelectQuery) *bun.SelectQuery) *ReceiverQuery {
	q.filters = append(q.filters, f)
	return q
}

// Active keeps receivers being watched.
func (q *ReceiverQuery) Active() *ReceiverQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("rx.active") })
}

// Inactive keeps receivers marked inactive.
func (q *ReceiverQuery) Inactive() *ReceiverQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("NOT rx.active") })
}

// Online keeps receivers that answer.
func (q *ReceiverQuery) Online() *ReceiverQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("rx.online") })
}

// Offline keeps receivers that do not answer.
func (q *ReceiverQuery) Offline() *ReceiverQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("NOT rx.online") })
}

// WithLowBattery keeps receivers with at least one transmitter whose
// battery grades low or worse under th, as TransmitterQuery.WithLowBattery.
func (q *ReceiverQuery) WithLowBattery(th model.BatteryThresholds) *ReceiverQuery {
	q.tags.add(tagChannels, tagTransmitters)
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		sub := s.NewSelect().ColumnExpr("1").TableExpr("channels AS c").
			Join("JOIN transmitters AS tx ON tx.channel_id = c.id").
			Where("c.receiver_id = rx.id").WhereGroup(" AND ", lowBattery(th))
		return s.Where("EXISTS (?)", sub)
	})
}

// RecentlyUpdated keeps receivers changed within d.
func (q *ReceiverQuery) RecentlyUpdated(d time.Duration) *ReceiverQuery {
	q.live = true
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("rx.updated_at >= now() - make_interval(secs => ?)", seconds(d))
	})
}

// InLocation keeps receivers in the location or any location below it.
func (q *ReceiverQuery) InLocation(id int64) *ReceiverQuery {
	q.tags.add(tagLocations)
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("rx.location_id IN ("+subtreeSQL+")", id)
	})
}

// subtreeSQL lists a location and its descendants. UNION (not UNION ALL)
// stops on a cycle instead of looping.
const subtreeSQL = `WITH RECURSIVE sub(id) AS (
	SELECT ?::bigint UNION SELECT l.id FROM locations l JOIN sub ON l.parent_id = sub.id
) SELECT id FROM sub`

// ByType keeps receivers of one device family.
func (q *ReceiverQuery) ByType(t model.DeviceType) *ReceiverQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("rx.device_type = ?", t) })
}

// ByManufacturer keeps receivers of one vendor, by code ("shure").
func (q *ReceiverQuery) ByManufacturer(code string) *ReceiverQuery {
	q.tags.add(tagManufacturers)
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("rx.manufacturer_id = (SELECT id FROM manufacturers WHERE code = ?)", code)
	})
}

// Search keeps receivers whose name, host, model or serial contains text
// (any case).
func (q *ReceiverQuery) Search(text string) *ReceiverQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("strpos(lower(rx.name || ' ' || rx.host || ' ' || rx.model || ' ' || rx.serial), lower(?)) > 0", text)
	})
}

// LinkStatus keeps receivers whose connection is in one state.
func (q *ReceiverQuery) LinkStatus(st model.ConnStatus) *ReceiverQuery {
	q.tags.add(tagConnections)
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("EXISTS (SELECT 1 FROM connections c WHERE c.receiver_id = rx.id AND c.status = ?)", st)
	})
}

// IDs keeps the given receivers.
func (q *ReceiverQuery) IDs(ids ...int64) *ReceiverQuery {
	return q.where(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("rx.id IN (?)", bun.In(ids)) })
}

var receiverOrder = map[string]string{
	"id": "rx.id", "name": "rx.name", "host": "rx.host", "model": "rx.model", "status": "rx.status",
	"created_at": "rx.created_at", "updated_at": "rx.updated_at", "last_seen_at": "rx.last_seen_at",
}

// OrderBy sorts by a whitelisted key (id, name, host, model, status,
// created_at, updated_at, last_seen_at); calls add tie-breakers.
func (q *ReceiverQuery) OrderBy(key string, desc bool) *ReceiverQuery {
	col, err := orderColumn(receiverOrder, key)
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
func (q *ReceiverQuery) Paginate(p Page) *ReceiverQuery {
	q.page = p
	return q
}

// WithChannels loads each receiver's channels with their transmitters.
func (q *ReceiverQuery) WithChannels() *ReceiverQuery {
	q.rels = append(q.rels, "Channels", "Channels.Transmitter")
	q.tags.add(tagChannels, tagTransmitters)
	return q
}

// WithRelations loads manufacturer, location and connection.
func (q *ReceiverQuery) WithRelations() *ReceiverQuery {
	q.rels = append(q.rels, "Manufacturer", "Location", "Connection")
	q.tags.add(tagManufacturers, tagLocations, tagConnections)
	return q
}

func (q *ReceiverQuery) build(dst *[]*model.Receiver) *bun.SelectQuery {
	s := q.db.NewSelect().Model(dst)
	for _, f := range q.filters {
		s = s.WhereGroup(" AND ", f)
	}
	for _, r := range q.rels {
		if r == "Channels" {
			s = s.Relation(r, func(sq *bun.SelectQuery) *bun.SelectQuery { return sq.Order("ch.number") })
			continue
		}
		s = s.Relation(r)
	}
	return s
}

// List runs the query, through the cache when the store has one.
func (q *ReceiverQuery) List(ctx context.Context) ([]*model.Receiver, error) {
	if q.err != nil {
		return nil, q.err
	}
	var out []*model.Receiver
	s := q.build(&out)
	for _, o := range q.order {
		s = s.OrderExpr(o)
	}
	s = q.page.apply(s.OrderExpr("rx.id"))
	run := func(ctx context.Context) ([]*model.Receiver, error) {
		if err := s.Scan(ctx); err != nil {
			return nil, wrap(err, "list receivers")
		}
		return out, nil
	}
	if q.live {
		return run(ctx)
	}
	return cached(ctx, q.rc, "receivers", s, q.rels, ttlReceivers, q.tags, run)
}

// Count counts the matching receivers, ignoring paging.
func (q *ReceiverQuery) Count(ctx context.Context) (int, error) {
	if q.err != nil {
		return 0, q.err
	}
	var out []*model.Receiver
	q2 := *q
	q2.rels = nil
	s := q2.build(&out)
	run := func(ctx context.Context) (int, error) {
		n, err := s.Count(ctx)
		if err != nil {
			return 0, wrap(err, "count receivers")
		}
		return int(n), nil
	}
	if q.live {
		return run(ctx)
	}
	return cached(ctx, q.rc, "receivers", s, []string{"count"}, ttlReceivers, q.tags, run)
}

// Get loads one receiver with its channels, transmitters, manufacturer,
// location and connection.
func (r *Receivers) Get(ctx context.Context, id int64) (*model.Receiver, error) {
	list, err := r.Query().IDs(id).WithChannels().WithRelations().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("load receiver %d: %w", id, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("load receiver %d: %w", id, ErrNotFound)
	}
	return list[0], nil
}

// FindBySerial finds a receiver of one vendor by serial number.
func (r *Receivers) FindBySerial(ctx context.Context, manufacturerID int64, serial string) (*model.Receiver, error) {
	return r.findOne(ctx, "serial "+serial, "rx.manufacturer_id = ? AND rx.serial = ? AND rx.serial <> ''", manufacturerID, serial)
}

// FindByMAC finds a receiver by MAC address.
func (r *Receivers) FindByMAC(ctx context.Context, mac string) (*model.Receiver, error) {
	return r.findOne(ctx, "mac "+mac, "lower(rx.mac) = lower(?) AND rx.mac <> ''", mac)
}

// FindByAddress finds a receiver by host and port.
func (r *Receivers) FindByAddress(ctx context.Context, host string, port int) (*model.Receiver, error) {
	return r.findOne(ctx, fmt.Sprintf("%s:%d", host, port), "rx.host = ? AND rx.port = ?", host, port)
}

func (r *Receivers) findOne(ctx context.Context, what, where string, args ...any) (*model.Receiver, error) {
	rx := new(model.Receiver)
	if err := r.db.NewSelect().Model(rx).Where(where, args...).Limit(1).Scan(ctx); err != nil {
		return nil, wrap(err, "find receiver by %s", what)
	}
	return rx, nil
}

// Lock loads the given receivers with their manufacturer and locks their
// rows until the transaction ends, so a bulk action decides on what it
// changes. It reads the database itself, never the cache.
func (r *Receivers) Lock(ctx context.Context, ids ...int64) ([]*model.Receiver, error) {
	var out []*model.Receiver
	if len(ids) == 0 {
		return out, nil
	}
	err := r.db.NewSelect().Model(&out).Relation("Manufacturer").
		Where("rx.id IN (?)", bun.In(ids)).OrderExpr("rx.id").For("UPDATE OF rx").Scan(ctx)
	if err != nil {
		return nil, wrap(err, "lock %d receivers", len(ids))
	}
	return out, nil
}

// ListIDs lists the ids of the matching receivers, ignoring paging: what "all
// matching this filter" means to a bulk action.
func (q *ReceiverQuery) ListIDs(ctx context.Context) ([]int64, error) {
	if q.err != nil {
		return nil, q.err
	}
	var out []*model.Receiver
	q2 := *q
	q2.rels = nil
	var ids []int64
	if err := q2.build(&out).Column("rx.id").OrderExpr("rx.id").Scan(ctx, &ids); err != nil {
		return nil, wrap(err, "list receiver ids")
	}
	return ids, nil
}

// Create inserts a receiver and fills its ID.
func (r *Receivers) Create(ctx context.Context, rx *model.Receiver) error {
	defer r.rc.changed(ctx, tagReceivers)
	if rx.Status == "" {
		rx.Status = model.LifecycleDiscovered
	}
	if _, err := r.db.NewInsert().Model(rx).Returning("*").Exec(ctx); err != nil {
		return wrap(err, "create receiver %s:%d", rx.Host, rx.Port)
	}
	return nil
}

// Update writes the named columns of rx (all when none are named) and
// bumps updated_at.
func (r *Receivers) Update(ctx context.Context, rx *model.Receiver, columns ...string) error {
	defer r.rc.changed(ctx, tagReceivers)
	q := r.db.NewUpdate().Model(rx).WherePK().Set("updated_at = now()").Returning("updated_at")
	if len(columns) > 0 {
		q = q.Column(columns...)
	} else {
		q = q.ExcludeColumn("id", "created_at", "updated_at")
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return wrap(err, "update receiver %d", rx.ID)
	}
	return rowsOrNotFound(res, "update receiver %d", rx.ID)
}

// SetActive marks receivers active or inactive and returns how many changed.
// An inactive receiver is also offline: nobody watches it.
func (r *Receivers) SetActive(ctx context.Context, active bool, ids ...int64) (int, error) {
	defer r.rc.changed(ctx, tagReceivers)
	q := r.db.NewUpdate().Model((*model.Receiver)(nil)).
		Set("active = ?", active).Set("updated_at = now()").
		Where("id IN (?)", bun.In(ids)).Where("active <> ?", active)
	if !active {
		q = q.Set("online = false")
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, wrap(err, "set receivers active=%t", active)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Delete removes a receiver with its channels, transmitters and connection.
func (r *Receivers) Delete(ctx context.Context, id int64) error {
	defer r.rc.changed(ctx, tagReceivers, tagChannels, tagTransmitters, tagConnections)
	res, err := r.db.NewDelete().Model((*model.Receiver)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return wrap(err, "delete receiver %d", id)
	}
	return rowsOrNotFound(res, "delete receiver %d", id)
}

// SetOnline records whether a receiver answers, moving its lifecycle status
// to online/offline unless an admin put it in maintenance or retired it. It
// returns whether the online flag changed.
func (r *Receivers) SetOnline(ctx context.Context, id int64, online bool, at time.Time) (bool, error) {
	defer r.rc.changed(ctx, tagReceivers)
	status := model.LifecycleOffline
	if online {
		status = model.LifecycleOnline
	}
	var was []bool
	_, err := r.db.NewUpdate().
		With("old", r.db.NewSelect().Model((*model.Receiver)(nil)).Column("id", "online").Where("id = ?", id).For("UPDATE")).
		Model((*model.Receiver)(nil)).
		TableExpr("old").
		Set("online = ?", online).
		Set("status = CASE WHEN rx.status IN ('maintenance', 'retired') THEN rx.status ELSE ? END", status).
		Set("last_seen_at = CASE WHEN ? THEN ?::timestamptz ELSE rx.last_seen_at END", online, at).
		Set("updated_at = now()").
		Where("rx.id = old.id").
		Returning("old.online").Exec(ctx, &was)
	if err != nil {
		return false, wrap(err, "set receiver %d online=%t", id, online)
	}
	if len(was) == 0 {
		return false, fmt.Errorf("set receiver %d online=%t: %w", id, online, ErrNotFound)
	}
	return was[0] != online, nil
}
