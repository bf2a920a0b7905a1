package db

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// ErrNotMigrated: the database lacks some or all of the schema this build of
// Micboard needs.
var ErrNotMigrated = errors.New("database is not migrated")

// NotMigratedError says what is missing; it matches ErrNotMigrated.
type NotMigratedError struct {
	// Pending lists the migrations not applied; empty when none ever was
	// (the migration table itself is missing).
	Pending []string
}

// Detail says what is missing, without the leading "database is not migrated".
func (e *NotMigratedError) Detail() string {
	if len(e.Pending) == 0 {
		return "no migration has been applied"
	}
	return fmt.Sprintf("%d pending: %s", len(e.Pending), strings.Join(e.Pending, ", "))
}

func (e *NotMigratedError) Error() string { return ErrNotMigrated.Error() + " (" + e.Detail() + ")" }

// Is makes errors.Is(err, ErrNotMigrated) hold.
func (e *NotMigratedError) Is(target error) bool { return target == ErrNotMigrated }

// IsMissingDatabase reports the server's answer to a connection for a
// database it does not have (SQLSTATE 3D000, invalid_catalog_name).
func IsMissingDatabase(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "3D000"
}

// CheckMigrated returns a *NotMigratedError unless
// every migration has been applied. Commands other than migrate call it
// first, so a mistyped database name or a forgotten migrate says so instead
// of failing later with raw SQL about a missing table.
func CheckMigrated(ctx context.Context, bdb *bun.DB) error {
	pending, err := Pending(ctx, bdb)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: never migrated
		return &NotMigratedError{}
	}
	if err != nil {
		return fmt.Errorf("check migrations: %w", err)
	}
	if len(pending) > 0 {
		return &NotMigratedError{Pending: pending}
	}
	return nil
}

// Name returns the database name a connection URL names ("" when it names
// none or cannot be parsed), for messages.
func Name(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}
