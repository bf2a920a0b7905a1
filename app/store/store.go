// Package store holds Micboard's repositories: every query pattern lives
// here, as chainable queries on one repository per table.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Store bundles the repositories over one database handle, which is either
// the pool or a transaction.
type Store struct {
	db bun.IDB
	rc *readCache // nil: no cache

	Manufacturers     *Manufacturers
	Locations         *Locations
	Receivers         *Receivers
	Channels          *Channels
	Transmitters      *Transmitters
	Performers        *Performers
	Assignments       *Assignments
	Connections       *Connections
	DiscoveryTasks    *DiscoveryTasks
	DiscoveredDevices *DiscoveredDevices
	Users             *Users
	BoardGroups       *BoardGroups
	Kiosks            *Kiosks
	AuditEvents       *AuditEvents
	APITokens         *APITokens

	Alerts             *Alerts
	AlertDeliveries    *AlertDeliveries
	Webhooks           *Webhooks
	AlertSubscriptions *AlertSubscriptions
	PerformerLinks     *PerformerLinks

	Leases    *Leases
	Instances *Instances
}

// New returns a Store over the connection pool that caches nothing
// (NewCached caches).
func New(db *bun.DB) *Store { return newStore(db, nil) }

func newStore(db bun.IDB, rc *readCache) *Store {
	return &Store{
		db:                db,
		rc:                rc,
		Manufacturers:     &Manufacturers{db: db},
		Locations:         &Locations{db: db, rc: rc},
		Receivers:         &Receivers{db: db, rc: rc},
		Channels:          &Channels{db: db, rc: rc},
		Transmitters:      &Transmitters{db: db, rc: rc},
		Performers:        &Performers{db: db},
		Assignments:       &Assignments{db: db},
		Connections:       &Connections{db: db, rc: rc},
		DiscoveryTasks:    &DiscoveryTasks{db: db},
		DiscoveredDevices: &DiscoveredDevices{db: db},
		Users:             &Users{db: db},
		BoardGroups:       &BoardGroups{db: db},
		Kiosks:            &Kiosks{db: db},
		AuditEvents:       &AuditEvents{db: db},
		APITokens:         &APITokens{db: db},

		Alerts:             &Alerts{db: db},
		AlertDeliveries:    &AlertDeliveries{db: db},
		Webhooks:           &Webhooks{db: db},
		AlertSubscriptions: &AlertSubscriptions{db: db},
		PerformerLinks:     &PerformerLinks{db: db},

		Leases:    &Leases{db: db},
		Instances: &Instances{db: db},
	}
}

// DB returns the handle the repositories use.
func (s *Store) DB() bun.IDB { return s.db }

// InTx runs fn with a Store bound to one transaction, committed when fn
// returns nil and rolled back otherwise. Inside a transaction it reuses it.
// Cached answers the transaction changed are dropped after the commit.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	if _, ok := s.db.(bun.Tx); ok {
		return fn(s)
	}
	rc := s.rc.inTx()
	err := s.db.RunInTx(ctx, &sql.TxOptions{}, func(ctx context.Context, tx bun.Tx) error {
		return fn(newStore(tx, rc))
	})
	if err == nil {
		rc.committed(ctx)
	}
	return err
}

// Page limits a listing: Size rows starting after (Number-1)*Size.
type Page struct {
	Number int
	Size   int
}

// apply adds LIMIT/OFFSET; a zero page means "everything".
func (p Page) apply(q *bun.SelectQuery) *bun.SelectQuery {
	if p.Size <= 0 {
		return q
	}
	n := p.Number
	if n < 1 {
		n = 1
	}
	return q.Limit(int64(p.Size)).Offset(int64((n - 1) * p.Size))
}

// seconds passes a duration to SQL as a number of seconds, so intervals are
// computed on the database clock rather than this process's.
func seconds(d time.Duration) float64 { return d.Seconds() }

// orderColumn resolves a user-chosen sort key against a whitelist, so no
// request can put arbitrary SQL into ORDER BY.
func orderColumn(allowed map[string]string, key string) (string, error) {
	col, ok := allowed[key]
	if !ok {
		return "", fmt.Errorf("sort by %q: %w", key, ErrInvalid)
	}
	return col, nil
}

// rowsOrNotFound turns "no row changed" into ErrNotFound.
func rowsOrNotFound(res sql.Result, format string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf(format+": %w", append(args, err)...)
	}
	if n == 0 {
		return fmt.Errorf(format+": %w", append(args, ErrNotFound)...)
	}
	return nil
}
