package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// Leases are the receiver leases: which instance watches which receiver.
// Times come from PostgreSQL's clock (now()), so instances whose clocks
// disagree still agree on when a lease has expired.
type Leases struct{ db bun.IDB }

// Held is one receiver lease an instance holds, with its fence number.
type Held struct {
	ReceiverID int64 `bun:"receiver_id"`
	Fence      int64 `bun:"fence"`
}

// watchable is the condition of a receiver some instance must watch: the
// monitor's own rule (active, not retired).
const watchable = "r.active AND r.status <> 'retired'"

func secs(d time.Duration) float64 { return d.Seconds() }

// Renew is an instance's one statement per interval: it writes the
// instance's heartbeat and figures (announcing it when its row is missing)
// and extends every lease it still holds on a watchable receiver to ttl
// from now. It returns those leases: one the instance thought it held and
// that is missing was taken over, and must no longer be watched. A lease on
// a receiver no longer watchable is left to expire. A lease that merely
// expired (the database was away) is renewed when nobody took it over
// meanwhile; one the instance released is not.
func (r *Leases) Renew(ctx context.Context, inst *model.Instance, ttl time.Duration) ([]Held, error) {
	var held []Held
	err := r.db.NewRaw(`
WITH hb AS (
    INSERT INTO instances (id, host, addr, version, schema_version, started_at, heartbeat_at, stopping, receivers, sse_clients)
    VALUES (?, ?, ?, ?, ?, ?, now(), ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), host = EXCLUDED.host, addr = EXCLUDED.addr,
        version = EXCLUDED.version, schema_version = EXCLUDED.schema_version, started_at = EXCLUDED.started_at,
        stopping = EXCLUDED.stopping, receivers = EXCLUDED.receivers, sse_clients = EXCLUDED.sse_clients
    RETURNING id
)
UPDATE receiver_leases AS rl SET expires_at = now() + make_interval(secs => ?)
FROM receivers AS r
WHERE r.id = rl.receiver_id AND rl.owner = ? AND rl.expires_at > '-infinity' AND `+watchable+`
RETURNING rl.receiver_id, rl.fence`,
		inst.ID, inst.Host, inst.Addr, inst.Version, inst.SchemaVersion, inst.StartedAt, inst.Stopping, inst.Receivers, inst.SSEClients,
		secs(ttl), inst.ID).Scan(ctx, &held)
	if err != nil {
		return nil, wrap(err, "renew leases of instance %s", inst.ID)
	}
	return held, nil
}

// Claim takes up to n watchable receivers that no instance holds, or whose
// lease expired (its owner died or stopped), for owner until ttl from now.
// A lease taken over gets the next fence number. Instances claiming at once
// each take different receivers: a row another claims first is skipped.
// Each owner walks the receivers in its own order, so several starting
// together rarely contend for the same rows.
func (r *Leases) Claim(ctx context.Context, owner string, ttl time.Duration, n int) ([]Held, error) {
	if n <= 0 {
		return nil, nil
	}
	var held []Held
	err := r.db.NewRaw(`
INSERT INTO receiver_leases AS rl (receiver_id, owner, fence, acquired_at, expires_at)
SELECT r.id, ?, 1, now(), now() + make_interval(secs => ?)
FROM receivers AS r
LEFT JOIN receiver_leases AS cur ON cur.receiver_id = r.id
WHERE `+watchable+` AND (cur.receiver_id IS NULL OR cur.expires_at <= now())
ORDER BY md5(r.id::text || ?)
LIMIT ?
ON CONFLICT (receiver_id) DO UPDATE SET owner = EXCLUDED.owner, fence = rl.fence + 1,
    acquired_at = now(), expires_at = EXCLUDED.expires_at
WHERE rl.expires_at <= now()
RETURNING rl.receiver_id, rl.fence`, owner, secs(ttl), owner, n).Scan(ctx, &held)
	if err != nil {
		return nil, wrap(err, "claim %d receiver leases for %s", n, owner)
	}
	return held, nil
}

// Release ends owner's leases on the given receivers (all of them when ids
// is empty) at once, so another instance may take them without waiting for
// them to expire. The rows stay, so the next owner's fence is higher; their
// expiry of -infinity tells a release from a lapse, so the owner's next
// renewal does not take them back.
func (r *Leases) Release(ctx context.Context, owner string, ids ...int64) (int, error) {
	q := r.db.NewUpdate().Model((*model.ReceiverLease)(nil)).
		Set("expires_at = '-infinity'").
		Where("owner = ?", owner).Where("expires_at > '-infinity'")
	if len(ids) > 0 {
		q = q.Where("receiver_id IN (?)", bun.In(ids))
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, wrap(err, "release leases of %s", owner)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Fenced locks owner's leases on the given receivers for the rest of the
// transaction (FOR SHARE: a takeover waits for it) and returns those whose
// fence still matches. Writes for a receiver happen only when it is here,
// so an owner that lost its lease never writes over the new owner. Use it
// inside InTx; outside a transaction the lock ends with the statement.
func (r *Leases) Fenced(ctx context.Context, owner string, fences map[int64]int64) (map[int64]bool, error) {
	if len(fences) == 0 {
		return map[int64]bool{}, nil
	}
	ids := make([]int64, 0, len(fences))
	for id := range fences {
		ids = append(ids, id)
	}
	var held []Held
	err := r.db.NewSelect().Model((*model.ReceiverLease)(nil)).Column("receiver_id", "fence").
		Where("owner = ?", owner).Where("receiver_id IN (?)", bun.In(ids)).
		For("SHARE").Scan(ctx, &held)
	if err != nil {
		return nil, wrap(err, "check %d leases of %s", len(ids), owner)
	}
	ok := make(map[int64]bool, len(held))
	for _, h := range held {
		if fences[h.ReceiverID] == h.Fence {
			ok[h.ReceiverID] = true
		}
	}
	return ok, nil
}

// Share returns how many receivers must be watched and how many instances
// are alive (heartbeat within alive, not stopping) to share them.
func (r *Leases) Share(ctx context.Context, alive time.Duration) (receivers, instances int, err error) {
	var out struct {
		Receivers int `bun:"receivers"`
		Instances int `bun:"instances"`
	}
	err = r.db.NewRaw(`
SELECT (SELECT count(*) FROM receivers AS r WHERE `+watchable+`) AS receivers,
       (SELECT count(*) FROM instances WHERE NOT stopping AND heartbeat_at > now() - make_interval(secs => ?)) AS instances`,
		secs(alive)).Scan(ctx, &out)
	if err != nil {
		return 0, 0, wrap(err, "count receivers and live instances")
	}
	return out.Receivers, out.Instances, nil
}

// Owners maps every receiver with an unexpired lease to its owner.
func (r *Leases) Owners(ctx context.Context) (map[int64]string, error) {
	var rows []model.ReceiverLease
	if err := r.db.NewSelect().Model(&rows).Where("expires_at > now()").Scan(ctx); err != nil {
		return nil, wrap(err, "list receiver leases")
	}
	out := make(map[int64]string, len(rows))
	for _, l := range rows {
		out[l.ReceiverID] = l.Owner
	}
	return out, nil
}

// Unwatched is a receiver whose lease belongs to an instance that stopped
// beating, or lapsed with nobody claiming it: nobody watches it now.
type Unwatched struct {
	ReceiverID int64 `bun:"receiver_id"`
	// Since is the owner's last heartbeat, or the lease's expiry when that
	// came first (or the owner's row is gone).
	Since time.Time `bun:"since"`
}

// Unwatched lists the watchable receivers another instance than self holds
// a lease on while silent for longer than silent (judged by the database's
// clock), or whose lease lapsed and nobody claimed it yet. A released lease
// is not listed: it was handed over, and is claimed within moments.
func (r *Leases) Unwatched(ctx context.Context, self string, silent time.Duration) ([]Unwatched, error) {
	var out []Unwatched
	err := r.db.NewRaw(`
SELECT rl.receiver_id, LEAST(inst.heartbeat_at, rl.expires_at) AS since
FROM receiver_leases AS rl
JOIN receivers AS r ON r.id = rl.receiver_id
LEFT JOIN instances AS inst ON inst.id = rl.owner
WHERE `+watchable+` AND rl.owner <> ? AND rl.expires_at > '-infinity'
  AND (rl.expires_at <= now() OR inst.id IS NULL OR inst.heartbeat_at < now() - make_interval(secs => ?))`,
		self, secs(silent)).Scan(ctx, &out)
	if err != nil {
		return nil, wrap(err, "list receivers nobody watches")
	}
	return out, nil
}

// Instances is the instances table.
type Instances struct{ db bun.IDB }

// List returns every instance, newest heartbeat first, with the number of
// unexpired leases each holds and how long ago (by the database's clock)
// it last beat.
func (r *Instances) List(ctx context.Context) ([]model.Instance, error) {
	var rows []struct {
		model.Instance
		AgeSeconds float64 `bun:"age_seconds"`
	}
	err := r.db.NewSelect().TableExpr("instances AS inst").
		ColumnExpr("inst.*").
		ColumnExpr("extract(epoch FROM now() - inst.heartbeat_at)::float8 AS age_seconds").
		ColumnExpr("(SELECT count(*) FROM receiver_leases AS rl WHERE rl.owner = inst.id AND rl.expires_at > now()) AS leases").
		OrderExpr("inst.heartbeat_at DESC, inst.id").
		Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err, "list instances")
	}
	out := make([]model.Instance, len(rows))
	for i, row := range rows {
		out[i] = row.Instance
		out[i].HeartbeatAge = time.Duration(row.AgeSeconds * float64(time.Second))
	}
	return out, nil
}

// Remove deletes an instance's row: it stopped cleanly.
func (r *Instances) Remove(ctx context.Context, id string) error {
	_, err := r.db.NewDelete().Model((*model.Instance)(nil)).Where("id = ?", id).Exec(ctx)
	return wrap(err, "remove instance %s", id)
}

// Prune deletes instances silent for longer than gone: their page rows
// would only grow.
func (r *Instances) Prune(ctx context.Context, gone time.Duration) (int, error) {
	res, err := r.db.NewDelete().Model((*model.Instance)(nil)).
		Where("heartbeat_at < now() - make_interval(secs => ?)", secs(gone)).Exec(ctx)
	if err != nil {
		return 0, wrap(err, "prune instances")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Fence says which receivers an instance holds, with the fence number of
// each lease (app/cluster's Keeper).
type Fence interface {
	ID() string
	Fence(receiverID int64) (fence int64, ok bool)
}

// WriteFenced runs fn for those of the receivers whose lease f still holds:
// inside one transaction that locks their lease rows and checks the fence
// numbers, so an instance that lost a lease (paused, cut off, slow) never
// writes over its new owner. With f nil (one instance, no leases) fn runs
// for them all on s.
func (s *Store) WriteFenced(ctx context.Context, f Fence, receiverIDs []int64, fn func(tx *Store, receiverIDs []int64) error) error {
	if f == nil {
		return fn(s, receiverIDs)
	}
	fences := make(map[int64]int64, len(receiverIDs))
	for _, id := range receiverIDs {
		if fence, ok := f.Fence(id); ok {
			fences[id] = fence
		}
	}
	if len(fences) == 0 {
		return nil
	}
	return s.InTx(ctx, func(tx *Store) error {
		ok, err := tx.Leases.Fenced(ctx, f.ID(), fences)
		if err != nil {
			return err
		}
		keep := make([]int64, 0, len(ok))
		for _, id := range receiverIDs {
			if ok[id] {
				keep = append(keep, id)
			}
		}
		if len(keep) == 0 {
			return nil
		}
		return fn(tx, keep)
	})
}
