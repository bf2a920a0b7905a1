package db

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"micboard/migrations"
)

// newMigrator builds the migrator over the embedded SQL files. A migration is
// recorded only after it succeeded, so a failing one is tried again next time.
func newMigrator(db *bun.DB, fsys fs.FS) (*migrate.Migrator, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(fsys); err != nil {
		return nil, fmt.Errorf("discover migrations: %w", err)
	}
	return migrate.NewMigrator(db, ms, migrate.WithMarkAppliedOnSuccess(true)), nil
}

// Migrate applies every migration not yet applied and returns their names.
// Concurrent callers (two instances starting together) serialise on bun's
// migration lock.
func Migrate(ctx context.Context, db *bun.DB) ([]string, error) {
	return MigrateFS(ctx, db, migrations.FS)
}

// MigrateFS applies the migrations found in fsys; tests use it with
// deliberately broken files.
func MigrateFS(ctx context.Context, db *bun.DB, fsys fs.FS) ([]string, error) {
	m, err := newMigrator(db, fsys)
	if err != nil {
		return nil, err
	}
	// An advisory lock rather than bun's lock table: it is released when the
	// connection drops, so a crashed migrator never blocks the next start.
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("reserve connection for migration lock: %w", err)
	}
	defer conn.Close()
	const lockKey = 0x6d6963626f617264 // "micboard"
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", int64(lockKey)); err != nil {
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", int64(lockKey)) //nolint:errcheck

	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("create migration tables: %w", err)
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	names := make([]string, 0, len(group.Migrations))
	for _, mg := range group.Migrations {
		names = append(names, mg.Name+"_"+mg.Comment)
	}
	return names, nil
}

// Pending lists migrations not yet applied; /readyz is ready only when it is
// empty.
func Pending(ctx context.Context, db *bun.DB) ([]string, error) {
	m, err := newMigrator(db, migrations.FS)
	if err != nil {
		return nil, err
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("read migration status: %w", err)
	}
	var names []string
	for _, mg := range ms.Unapplied() {
		names = append(names, mg.Name+"_"+mg.Comment)
	}
	return names, nil
}

// SchemaVersion names the newest migration this build carries (such as
// "0015_board_notify"): instances of one schema version can replace each
// other one at a time during a rolling upgrade.
func SchemaVersion() string {
	names, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil || len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	newest := names[len(names)-1]
	newest = strings.TrimSuffix(newest, ".up.sql")
	return strings.TrimSuffix(newest, ".tx")
}
