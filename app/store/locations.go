package store

import (
	"context"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Locations is the repository of locations.
type Locations struct {
	db bun.IDB
	rc *readCache
}

// LocationQuery is a chainable location filter.
type LocationQuery struct {
	db      bun.IDB
	rc      *readCache
	filters []func(*bun.SelectQuery) *bun.SelectQuery
	counts  bool
}

// Query starts a location query.
func (r *Locations) Query() *LocationQuery { return &LocationQuery{db: r.db, rc: r.rc} }

// Active keeps active locations.
func (q *LocationQuery) Active() *LocationQuery {
	q.filters = append(q.filters, func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("loc.active") })
	return q
}

// Roots keeps locations without a parent.
func (q *LocationQuery) Roots() *LocationQuery {
	q.filters = append(q.filters, func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("loc.parent_id IS NULL") })
	return q
}

// WithDeviceCounts fills DeviceCount with the receivers in each location
// and in every location below it (a building counts its rooms' devices).
func (q *LocationQuery) WithDeviceCounts() *LocationQuery {
	q.counts = true
	return q
}

// List runs the query ordered by name.
func (q *LocationQuery) List(ctx context.Context) ([]*model.Location, error) {
	var out []*model.Location
	s := q.db.NewSelect().Model(&out)
	if q.counts {
		s = s.ColumnExpr("loc.*").ColumnExpr(`(WITH RECURSIVE sub(id) AS (
				SELECT loc.id UNION SELECT l.id FROM locations l JOIN sub ON l.parent_id = sub.id
			) SELECT count(*) FROM receivers r WHERE r.location_id IN (SELECT id FROM sub)) AS device_count`)
	}
	for _, f := range q.filters {
		s = s.WhereGroup(" AND ", f)
	}
	s = s.OrderExpr("lower(loc.name)").Order("loc.id")
	run := func(ctx context.Context) ([]*model.Location, error) {
		if err := s.Scan(ctx); err != nil {
			return nil, wrap(err, "list locations")
		}
		return out, nil
	}
	tags := []string{tagLocations}
	if q.counts {
		tags = append(tags, tagReceivers)
	}
	return cached(ctx, q.rc, "locations", s, nil, ttlLocations, tags, run)
}

// Get loads one location.
func (r *Locations) Get(ctx context.Context, id int64) (*model.Location, error) {
	l := new(model.Location)
	if err := r.db.NewSelect().Model(l).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "load location %d", id)
	}
	return l, nil
}

// ByName finds a location by name, case-insensitively; the first match by
// id when names repeat under different parents.
func (r *Locations) ByName(ctx context.Context, name string) (*model.Location, error) {
	l := new(model.Location)
	if err := r.db.NewSelect().Model(l).Where("lower(name) = lower(?)", name).Order("id").Limit(1).Scan(ctx); err != nil {
		return nil, wrap(err, "find location %q", name)
	}
	return l, nil
}

// Create inserts a location.
func (r *Locations) Create(ctx context.Context, l *model.Location) error {
	defer r.rc.changed(ctx, tagLocations)
	_, err := r.db.NewInsert().Model(l).Returning("*").Exec(ctx)
	return wrap(err, "create location %q", l.Name)
}

// Update writes a location.
func (r *Locations) Update(ctx context.Context, l *model.Location) error {
	defer r.rc.changed(ctx, tagLocations)
	res, err := r.db.NewUpdate().Model(l).WherePK().ExcludeColumn("id", "created_at", "updated_at").Set("updated_at = now()").Exec(ctx)
	if err != nil {
		return wrap(err, "update location %d", l.ID)
	}
	return rowsOrNotFound(res, "update location %d", l.ID)
}

// Delete removes a location; the schema refuses while devices or child
// locations point at it (ErrConflict).
func (r *Locations) Delete(ctx context.Context, id int64) error {
	defer r.rc.changed(ctx, tagLocations)
	res, err := r.db.NewDelete().Model((*model.Location)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return wrap(err, "delete location %d", id)
	}
	return rowsOrNotFound(res, "delete location %d", id)
}

// IsDescendant reports whether candidate is id itself or lies below it, which
// would make candidate an invalid parent for id.
func (r *Locations) IsDescendant(ctx context.Context, id, candidate int64) (bool, error) {
	var found bool
	err := r.db.NewSelect().ColumnExpr("EXISTS (SELECT 1 FROM ("+subtreeSQL+") s WHERE s.id = ?)", id, candidate).Scan(ctx, &found)
	if err != nil {
		return false, wrap(err, "check location %d below %d", candidate, id)
	}
	return found, nil
}

// CountDevices counts receivers directly in a location.
func (r *Locations) CountDevices(ctx context.Context, id int64) (int, error) {
	n, err := r.db.NewSelect().Model((*model.Receiver)(nil)).Where("location_id = ?", id).Count(ctx)
	if err != nil {
		return 0, wrap(err, "count devices in location %d", id)
	}
	return int(n), nil
}

// CountChildren counts locations directly below a location.
func (r *Locations) CountChildren(ctx context.Context, id int64) (int, error) {
	n, err := r.db.NewSelect().Model((*model.Location)(nil)).Where("parent_id = ?", id).Count(ctx)
	if err != nil {
		return 0, wrap(err, "count child locations of %d", id)
	}
	return int(n), nil
}

// AssignDevices puts receivers in a location (nil: no location) and returns
// how many changed.
func (r *Locations) AssignDevices(ctx context.Context, locationID *int64, receiverIDs ...int64) (int, error) {
	defer r.rc.changed(ctx, tagReceivers)
	res, err := r.db.NewUpdate().Model((*model.Receiver)(nil)).
		Set("location_id = ?", locationID).Set("updated_at = now()").
		Where("id IN (?)", bun.In(receiverIDs)).Exec(ctx)
	if err != nil {
		return 0, wrap(err, "assign %d receivers to a location", len(receiverIDs))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
