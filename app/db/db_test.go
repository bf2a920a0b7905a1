package db_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/uptrace/bun"

	"micboard/app/db"
	"micboard/app/db/dbtest"
	"micboard/migrations"
)

func TestMigrateEmptyThenAgain(t *testing.T) {
	ctx := context.Background()
	url := dbtest.NewEmptyURL(t)
	bdb, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()

	if p, err := db.Pending(ctx, bdb); err == nil && len(p) == 0 {
		t.Fatalf("empty database reports no pending migrations")
	}
	applied, err := db.Migrate(ctx, bdb)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	if len(applied) == 0 {
		t.Fatal("first migrate applied nothing")
	}
	var tables int
	if err := bdb.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('receivers','channels','transmitters','assignments','connections','users')").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 6 {
		t.Fatalf("want 6 core tables, found %d", tables)
	}
	schemaBefore := schemaFingerprint(t, bdb)

	again, err := db.Migrate(ctx, bdb)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(again) != 0 {
		t.Fatalf("second migrate applied %v, want nothing", again)
	}
	if after := schemaFingerprint(t, bdb); after != schemaBefore {
		t.Fatal("schema changed on the second migrate")
	}
	if p, err := db.Pending(ctx, bdb); err != nil || len(p) != 0 {
		t.Fatalf("pending after migrate = %v, %v", p, err)
	}
}

// schemaFingerprint lists every column and index of the public schema.
func schemaFingerprint(t *testing.T, bdb *bun.DB) string {
	t.Helper()
	var fp string
	err := bdb.QueryRowContext(context.Background(), `
		SELECT string_agg(x, ',' ORDER BY x) FROM (
			SELECT table_name || '.' || column_name || ':' || data_type AS x
			  FROM information_schema.columns WHERE table_schema = 'public'
			UNION ALL
			SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
		) s`).Scan(&fp)
	if err != nil {
		t.Fatal(err)
	}
	if fp == "" {
		t.Fatal("empty schema fingerprint")
	}
	return fp
}

func TestFailingMigrationIsNotRecorded(t *testing.T) {
	ctx := context.Background()
	bdb, err := db.Open(ctx, dbtest.NewEmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()

	broken := fstest.MapFS{
		"0001_good.tx.up.sql":   {Data: []byte("CREATE TABLE good (id int);")},
		"0001_good.tx.down.sql": {Data: []byte("DROP TABLE good;")},
		"0002_bad.tx.up.sql":    {Data: []byte("CREATE TABLE half (id int);\n--bun:split\nSELECT no_such_column FROM good;")},
		"0002_bad.tx.down.sql":  {Data: []byte("DROP TABLE half;")},
	}
	if _, err := db.MigrateFS(ctx, bdb, broken); err == nil || !strings.Contains(err.Error(), "no_such_column") {
		t.Fatalf("want the failing statement reported, got %v", err)
	}
	var names []string
	if err := bdb.NewSelect().Table("bun_migrations").Column("name").Order("name").Scan(ctx, &names); err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "0001" {
		t.Fatalf("recorded migrations = %v, want only 0001", names)
	}
	var half bool
	if err := bdb.QueryRowContext(ctx, "SELECT to_regclass('half') IS NOT NULL").Scan(&half); err != nil {
		t.Fatal(err)
	}
	if half {
		t.Fatal("the failing migration left table half behind")
	}

	// Fixed, it applies on the next run.
	broken["0002_bad.tx.up.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE half (id int);")}
	applied, err := db.MigrateFS(ctx, bdb, broken)
	if err != nil || len(applied) != 1 {
		t.Fatalf("retry applied %v, %v", applied, err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	_, err := db.Open(context.Background(), "postgres://postgres@127.0.0.1:1/micboard?sslmode=disable&connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "connect to database") {
		t.Fatalf("want a connect error, got %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error spans lines: %q", err)
	}
}

func TestRedactHidesPassword(t *testing.T) {
	got := db.Redact("postgres://u:secret@h:5432/d")
	if strings.Contains(got, "secret") {
		t.Fatalf("password leaked: %s", got)
	}
}

func TestSchemaVersionIsTheNewestMigration(t *testing.T) {
	names, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations: %v %v", names, err)
	}
	newest := ""
	for _, n := range names {
		if n > newest {
			newest = n
		}
	}
	got := db.SchemaVersion()
	if got == "" || !strings.HasPrefix(newest, got+".") {
		t.Errorf("SchemaVersion() = %q, want the name of %s", got, newest)
	}
}
