// Package dbtest gives tests a throwaway PostgreSQL database copied from a
// migrated template, so every test starts from the real schema in a few
// milliseconds and never touches another test's rows.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"micboard/app/db"
	"micboard/migrations"
)

// DefaultURL is the server tests use unless MICBOARD_TEST_DATABASE_URL says
// otherwise; it must name a database the test user can connect to.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// ServerURL returns the admin URL of the test server.
func ServerURL() string {
	if v := os.Getenv("MICBOARD_TEST_DATABASE_URL"); v != "" {
		return v
	}
	return DefaultURL
}

// URLFor returns ServerURL with its database replaced by name.
func URLFor(name string) string {
	u, err := url.Parse(ServerURL())
	if err != nil {
		panic(fmt.Sprintf("MICBOARD_TEST_DATABASE_URL: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

// New creates a fresh migrated database for t and drops it when t ends.
func New(t testing.TB) *bun.DB {
	t.Helper()
	name, err := CreateDatabase(context.Background())
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	bdb, err := db.Open(context.Background(), URLFor(name))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		bdb.Close()
		if err := DropDatabase(context.Background(), name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return bdb
}

// NewURL creates a fresh migrated database and returns its URL, for tests
// that start a whole server process.
func NewURL(t testing.TB) string {
	t.Helper()
	name, err := CreateDatabase(context.Background())
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := DropDatabase(context.Background(), name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return URLFor(name)
}

// NewEmptyURL creates an empty (unmigrated) database, for migration tests.
func NewEmptyURL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	name := "micboard_test_" + randomSuffix()
	if err := adminExec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create empty database: %v", err)
	}
	t.Cleanup(func() {
		if err := DropDatabase(context.Background(), name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return URLFor(name)
}

// CreateDatabase copies the migrated template into a new database and
// returns its name.
func CreateDatabase(ctx context.Context) (string, error) {
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx) })
	if templateErr != nil {
		return "", templateErr
	}
	name := "micboard_test_" + randomSuffix()
	stmt := fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{templateName}.Sanitize())
	// Another package may be copying the template at this instant; PostgreSQL
	// then answers 55006 (object in use) and a retry succeeds.
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		if err = adminExec(ctx, stmt); err == nil || !isCode(err, "55006") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return "", fmt.Errorf("copy template %s: %w", templateName, err)
	}
	return name, nil
}

// DropDatabase removes a test database, closing any connection still open.
func DropDatabase(ctx context.Context, name string) error {
	return adminExec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// ensureTemplate builds the template once per schema version: its name
// carries a hash of the migration files, so a changed migration makes a new
// template instead of reusing a stale one.
func ensureTemplate(ctx context.Context) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	name := "micboard_template_" + hex.EncodeToString(h.Sum(nil))[:12]

	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return "", fmt.Errorf("connect to test database server %s (start PostgreSQL or set MICBOARD_TEST_DATABASE_URL): %w", db.Redact(ServerURL()), err)
	}
	defer conn.Close(ctx)
	// Test packages run in parallel processes; one builds the template while
	// the others wait here.
	const lockKey = 0x6d62746d706c // "mbtmpl"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return "", fmt.Errorf("lock template: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(lockKey)) //nolint:errcheck

	var ready bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&ready)
	if err != nil {
		return "", fmt.Errorf("look up template: %w", err)
	}
	if ready {
		return name, nil
	}
	// A half-built template from a crashed run is dropped and built again.
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("drop stale template: %w", err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	tdb, err := db.Open(ctx, URLFor(name))
	if err != nil {
		return "", err
	}
	_, err = db.Migrate(ctx, tdb)
	tdb.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident+" WITH IS_TEMPLATE true"); err != nil {
		return "", fmt.Errorf("mark template: %w", err)
	}
	return name, nil
}

func adminExec(ctx context.Context, stmt string, args ...any) error {
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return fmt.Errorf("connect to test database server %s: %w", db.Redact(ServerURL()), err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt, args...)
	return err
}

func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Outage makes the database at dbURL refuse every connection, old and new,
// the way an outage looks from Micboard, without touching the PostgreSQL
// server other tests share. The returned function ends the outage (it also
// runs at cleanup).
func Outage(t testing.TB, dbURL string) (restore func()) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	ident := pgx.Identifier{name}.Sanitize()
	ctx := context.Background()
	if err := adminExec(ctx, "ALTER DATABASE "+ident+" WITH ALLOW_CONNECTIONS false"); err != nil {
		t.Fatalf("refuse connections: %v", err)
	}
	if err := adminExec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name); err != nil {
		t.Fatalf("terminate connections: %v", err)
	}
	var once sync.Once
	restore = func() {
		once.Do(func() {
			if err := adminExec(ctx, "ALTER DATABASE "+ident+" WITH ALLOW_CONNECTIONS true"); err != nil {
				t.Errorf("allow connections again: %v", err)
			}
		})
	}
	t.Cleanup(restore)
	return restore
}
