package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"micboard/app/db"
	"micboard/app/db/dbtest"
)

// refuses runs args and wants a non-zero exit with one line on stderr that
// holds every want.
func refuses(t *testing.T, env map[string]string, args []string, want ...string) {
	t.Helper()
	code, _, stderr := runCmd(t, env, args...)
	line := strings.TrimRight(stderr, "\n")
	if code == 0 || strings.Contains(line, "\n") {
		t.Errorf("%q: exit %d, stderr %q; want a failure on one line", args, code, stderr)
		return
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("%q: stderr %q lacks %q", args, line, w)
		}
	}
}

func countRows(t *testing.T, url, table string) int {
	t.Helper()
	bdb, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	n, err := bdb.NewSelect().Table(table).Count(context.Background())
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return int(n)
}

// TestCommandsRefuseWhatTheBoardCannotUse: every value the command line
// stores is checked the way the board reads it, so a display never answers
// 400 forever and a list never breaks on a tab.
func TestCommandsRefuseWhatTheBoardCannotUse(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"kiosk", "add", "Wall", "--view", "loc=abc"}, []string{"kiosk add", `loc="abc"`}},
		{[]string{"kiosk", "add", "Wall", "--view", "status=<script>"}, []string{`status="<script>"`, "attention or offline"}},
		{[]string{"kiosk", "add", "Wall", "--view", "stauts=attention"}, []string{`unknown key "stauts"`}},
		{[]string{"kiosk", "add", "Wall", "--view", "status=offline&status=attention"}, []string{"status is given 2 times"}},
		{[]string{"kiosk", "add", "Wall", "--view", "loc=42"}, []string{"there is no location 42"}},
		{[]string{"kiosk", "add", "Wall", "--view", "group=3"}, []string{"group 3 is not set up"}},
		{[]string{"kiosk", "add", "Front\tof house"}, []string{"name: must not contain control characters"}},
		{[]string{"kiosk", "add", "Front\nof house"}, []string{"name: must not contain control characters"}},
		{[]string{"kiosk", "add", "Wall", "--heartbeat", "7500ms"}, []string{"heartbeat: whole seconds"}},
		{[]string{"kiosk", "add", "Wall", "--columns", "30"}, []string{"columns"}},
		{[]string{"kiosk", "add", "Wall", "--size", "xl"}, []string{"size"}},
		{[]string{"kiosk", "add", "Wall", "--base-url", "ftp://wall"}, []string{"--base-url"}},
		{[]string{"discover", "add", "Rack", "--kind", "slp", "--every", "1ms"}, []string{"--every 1ms", "whole seconds"}},
		{[]string{"discover", "add", "Rack", "--kind", "slp", "--every", "30s"}, []string{"--every 30s", "at least 1m"}},
		{[]string{"discover", "add", "Rack\nB", "--kind", "slp"}, []string{"name: must not contain control characters"}},
		{[]string{"group", "set", "1", "Vox\tBand", "-"}, []string{"group set", "name: must not contain control characters"}},
	}
	for _, c := range cases {
		refuses(t, env, c.args, c.want...)
	}
	for _, table := range []string{"kiosks", "discovery_tasks", "board_groups"} {
		if n := countRows(t, url, table); n != 0 {
			t.Errorf("refused commands stored %d rows in %s", n, table)
		}
	}

	// What is accepted is stored in the form the board reads back.
	code, out, stderr := runCmd(t, env, "kiosk", "add", "Monitor world", "--view", "?status=attention&sort=slot")
	if code != 0 {
		t.Fatalf("good kiosk: exit %d: %s", code, stderr)
	}
	code, out, stderr = runCmd(t, env, "kiosk", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[1], "sort=slot&status=attention") {
		t.Fatalf("kiosk list: exit %d, %s\n%s", code, stderr, out)
	}
}

// TestCommandsRefuseAMissingOrUnmigratedDatabase: only migrate and serve may
// create a database; the others say what to do and leave nothing behind.
func TestCommandsRefuseAMissingOrUnmigratedDatabase(t *testing.T) {
	t.Parallel()
	b := make([]byte, 6)
	rand.Read(b)
	missing := "micboard_test_typo_" + hex.EncodeToString(b)
	t.Cleanup(func() { dbtest.DropDatabase(context.Background(), missing) })
	empty := dbtest.NewEmptyURL(t)

	commands := [][]string{
		{"kiosk", "list"},
		{"kiosk", "add", "Wall"},
		{"kiosk", "revoke", "Wall"},
		{"group", "list"},
		{"group", "remove", "1"},
		{"discover", "list"},
		{"discover", "add", "Rack", "--kind", "slp"},
		{"receiver", "add", "127.0.0.1:1", "--vendor", "shure"},
	}
	for _, args := range commands {
		refuses(t, map[string]string{"MICBOARD_DATABASE_URL": dbtest.URLFor(missing)}, args,
			`database "`+missing+`" does not exist`, "run micboard migrate")
		refuses(t, map[string]string{"MICBOARD_DATABASE_URL": empty}, args,
			`database "`+db.Name(empty)+`" is not migrated (no migration has been applied): run micboard migrate`)
	}
	if exists(t, missing) {
		t.Errorf("a command other than migrate created the database %s", missing)
	}
	bdb, err := db.Open(context.Background(), empty)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var tables int
	if err := bdb.NewSelect().TableExpr("pg_tables").Where("schemaname = 'public'").ColumnExpr("count(*)").Scan(context.Background(), &tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("commands created %d tables in an unmigrated database", tables)
	}
}

func exists(t *testing.T, name string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}
