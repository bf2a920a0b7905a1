package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"micboard/app/db"
	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/service"
	"micboard/migrations"
)

// soak reports whether the long forms of the fault campaign run
// (MICBOARD_SOAK=1, as `make soak` sets).
func soak() bool { return os.Getenv("MICBOARD_SOAK") == "1" }

// serveProc is one `micboard serve` process.
type serveProc struct {
	cmd    *exec.Cmd
	exited chan error
	logs   *syncBuffer
	start  time.Time
	base   string
}

func startServer(t *testing.T, env map[string]string) *serveProc {
	t.Helper()
	s := &serveProc{exited: make(chan error, 1), logs: &syncBuffer{}, start: time.Now(), base: "http://" + env["MICBOARD_LISTEN"]}
	s.cmd = command(t, env, "serve")
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

// kill9 kills the process the way a power cut or the OOM killer would: no
// signal handler runs, no deferred write happens.
func (s *serveProc) kill9(t *testing.T) time.Time {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("serve survived SIGKILL")
	}
	return at
}

// faultDB is an admin connection to the test database for checks the
// commands cannot make.
type faultDB struct {
	conn *pgx.Conn
	name string
}

func openFaultDB(t *testing.T, url string) *faultDB {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return &faultDB{conn: conn, name: db.Name(url)}
}

func (f *faultDB) int(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// taskStatus returns a discovery task's status and lease owner.
func (f *faultDB) taskStatus(t *testing.T, id int) (string, string) {
	t.Helper()
	var status, owner string
	if err := f.conn.QueryRow(context.Background(), "SELECT status, lease_owner FROM discovery_tasks WHERE id = $1", id).Scan(&status, &owner); err != nil {
		t.Fatal(err)
	}
	return status, owner
}

// waitWrite waits up to within for the server to be inside a statement that
// writes the board's state, so the kill lands mid-write; it reports whether
// it saw one (the kill then follows within a millisecond or so).
func (f *faultDB) waitWrite(ctx context.Context, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var n int
		err := f.conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle'
			  AND query ~* '^\s*(INSERT|UPDATE|WITH)' AND query ~* 'transmitters|connections|receivers'`, f.name).Scan(&n)
		if err == nil && n > 0 {
			return true
		}
	}
	return false
}

// watchedSince counts receivers whose connection record heard a message
// after at: a supervisor of the current process is reading them.
func (f *faultDB) watchedSince(t *testing.T, at time.Time) int {
	return f.int(t, "SELECT count(*) FROM connections WHERE last_message_at > $1", at)
}

// intact checks what a killed writer may not leave behind: every migration
// applied, one transmitter row per channel at most and none orphaned, and no
// fewer rows than before the kill.
func (f *faultDB) intact(t *testing.T, url string, minTx int) int {
	t.Helper()
	bdb, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if err := db.CheckMigrated(context.Background(), bdb); err != nil {
		t.Errorf("after the kill: %v", err)
	}
	tx := f.int(t, "SELECT count(*) FROM transmitters")
	chans := f.int(t, "SELECT count(*) FROM channels")
	orphans := f.int(t, "SELECT count(*) FROM transmitters tx LEFT JOIN channels ch ON ch.id = tx.channel_id WHERE ch.id IS NULL")
	if tx < minTx || tx > chans || orphans != 0 {
		t.Errorf("after the kill: %d transmitter rows (had %d, %d channels), %d orphaned", tx, minTx, chans, orphans)
	}
	return tx
}

func eventuallyFor(t *testing.T, within time.Duration, what string, s *serveProc, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var last error
	for time.Since(start) < within {
		if last = cond(); last == nil {
			return time.Since(start)
		}
		if s != nil {
			select {
			case err := <-s.exited:
				t.Fatalf("%s: serve exited (%v):\n%s", what, err, s.logs.String())
			default:
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	msg := ""
	if s != nil {
		msg = s.logs.String()
	}
	t.Fatalf("%s: not within %v: %v\n%s", what, within, last, msg)
	return 0
}

// tarpit accepts TCP connections and never answers, so a discovery run
// asking it what it is waits its full identify timeout.
func tarpit(t *testing.T) (addr string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ln.Close()
			mu.Lock()
			for _, c := range conns {
				c.Close()
			}
			mu.Unlock()
		})
	}
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

// TestFaultKillNineAndRestart kills `micboard serve` with SIGKILL while a
// discovery run holds its task and again while the persister writes, then
// restarts it each time: nothing may stay stuck (the discovery task is taken
// over once its lease expires, every receiver is watched again, the board is
// served) and nothing may be half-written.
func TestFaultKillNineAndRestart(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	// The test reads the board without logging in.
	env := map[string]string{"MICBOARD_DATABASE_URL": url, "MICBOARD_LISTEN": freePort(t), "MICBOARD_PUBLIC_BOARD": "true"}
	fdb := openFaultDB(t, url)

	const receivers = 6
	fleet, err := sim.StartFleet(sim.FleetConfig{Receivers: receivers, Models: []string{"ulxd4q", "ad4q"}, Scenario: "steady", Seed: 21,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Stop() })
	for _, ep := range fleet.Endpoints() {
		if code, _, stderr := runCmd(t, env, "receiver", "add", ep.Addr(), "--vendor", ep.Vendor); code != 0 {
			t.Fatalf("receiver add %s: %s", ep.Addr(), stderr)
		}
	}
	pit, closePit := tarpit(t)
	if code, _, stderr := runCmd(t, env, "discover", "add", "Rack", "--kind", "manual", "--target", pit, "--vendor", "shure"); code != 0 {
		t.Fatalf("discover add: %s", stderr)
	}
	const task = 1

	// 1. Killed while discovery runs: the task is left running under a
	// lease nobody will renew.
	s := startServer(t, env)
	eventuallyFor(t, 20*time.Second, "discovery running", s, func() error {
		if st, _ := fdb.taskStatus(t, task); st != "running" {
			return fmt.Errorf("task %s", st)
		}
		return nil
	})
	lastKill := s.kill9(t)
	if st, owner := fdb.taskStatus(t, task); st != "running" || owner == "" {
		t.Fatalf("after the kill the task is %s (owner %q), want running under the dead lease", st, owner)
	}

	// 2. Killed while writing, once (ten times in the soak).
	kills := 1
	if soak() {
		kills = 10
	}
	txRows := 0
	for i := 1; i <= kills; i++ {
		s = startServer(t, env)
		eventuallyFor(t, 30*time.Second, "receivers watched", s, func() error {
			if n := fdb.watchedSince(t, s.start); n < receivers {
				return fmt.Errorf("%d of %d receivers heard", n, receivers)
			}
			return nil
		})
		caught := fdb.waitWrite(context.Background(), 6*time.Second)
		if st, _ := fdb.taskStatus(t, task); st == "running" {
			lastKill = time.Now() // the run may have been taken over meanwhile: this kill strands it again
		}
		s.kill9(t)
		txRows = fdb.intact(t, url, txRows)
		t.Logf("kill %d: SIGKILL %s a write statement; %d transmitter rows intact", i, map[bool]string{true: "during", false: "between"}[caught], txRows)
	}

	// 3. Restart for good: everything resumes.
	closePit() // the re-run now fails at once instead of waiting on the tarpit
	s = startServer(t, env)
	eventuallyFor(t, 30*time.Second, "ready", s, func() error {
		res, err := http.Get(s.base + "/readyz")
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %d", res.StatusCode)
		}
		return nil
	})
	ready := time.Since(s.start)
	eventuallyFor(t, 30*time.Second, "receivers watched again", s, func() error {
		if n := fdb.watchedSince(t, s.start); n < receivers {
			return fmt.Errorf("%d of %d receivers heard", n, receivers)
		}
		return nil
	})
	watched := time.Since(s.start)
	reclaimBound := service.DefaultRunLease + 15*time.Second
	eventuallyFor(t, reclaimBound, "discovery task taken over", s, func() error {
		if st, owner := fdb.taskStatus(t, task); st == "running" {
			return fmt.Errorf("task still running under %q", owner)
		}
		return nil
	})
	reclaimed := time.Since(lastKill)
	body := fetch(t, s.base+"/")
	name := fleet.Receivers()[0].State().Channels[0].Name
	if _, after, ok := strings.Cut(name, " "); ok {
		name = after // the board shows the performer part of "HH01 Fatai"
	}
	if !strings.Contains(body, name) {
		t.Errorf("the board after restart lacks the channel %q", name)
	}
	final := fdb.intact(t, url, txRows)
	t.Logf("after SIGKILL: /readyz 200 %v after the restart, all %d receivers read again %v after the restart, stranded discovery run taken over %v after its kill (lease %v); %d transmitter rows",
		ready.Round(10*time.Millisecond), receivers, watched.Round(10*time.Millisecond), reclaimed.Round(100*time.Millisecond), service.DefaultRunLease, final)

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.exited:
		if err != nil {
			t.Fatalf("serve after the faults exited with %v\n%s", err, s.logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
}

// TestFaultKillNineDuringMigrate kills `micboard migrate` inside a
// migration's transaction, twice: held inside 0001 and, with 0001 applied,
// inside 0002. The test holds each one there by creating, in a transaction
// of its own, a table the migration is about to create, so PostgreSQL makes
// the migration wait. After each kill the schema must match exactly the
// migrations recorded as applied, and the next migrate finishes the job.
func TestFaultKillNineDuringMigrate(t *testing.T) {
	t.Parallel()
	url := dbtest.NewEmptyURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url}
	fdb := openFaultDB(t, url)
	blocker := openFaultDB(t, url)
	ctx := context.Background()

	var seen []string
	for _, hold := range []struct{ migration, table string }{{"0001", "transmitters"}, {"0002", "kiosks"}} {
		tx, err := blocker.conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE "+hold.table+" (held int)"); err != nil {
			t.Fatal(err)
		}
		cmd := command(t, env, "migrate")
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		eventuallyFor(t, 20*time.Second, "migrate waiting inside "+hold.migration, nil, func() error {
			if fdb.int(t, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", fdb.name) == 0 {
				return errors.New("no migration waiting")
			}
			return nil
		})
		cmd.Process.Signal(syscall.SIGKILL)
		if cmd.Wait() == nil {
			t.Fatalf("migrate finished although %s was held", hold.migration)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		// The killed migrator's session ends once it finds its client gone.
		eventuallyFor(t, 20*time.Second, "killed migrator gone", nil, func() error {
			if n := fdb.int(t, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND pid <> $2", fdb.name, blocker.conn.PgConn().PID()); n > 0 {
				return fmt.Errorf("%d sessions left", n)
			}
			return nil
		})
		applied := consistentSchema(t, fdb)
		want := map[string]int{"0001": 0, "0002": 1}[hold.migration]
		if applied != want {
			t.Fatalf("killed inside %s: %d migrations recorded, want %d", hold.migration, applied, want)
		}
		seen = append(seen, fmt.Sprintf("inside %s: %d applied", hold.migration, applied))
	}
	code, out, stderr := runCmd(t, env, "migrate")
	if code != 0 {
		t.Fatalf("migrate after the kills: exit %d: %s", code, stderr)
	}
	all, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	if applied := consistentSchema(t, fdb); applied != len(all) {
		t.Fatalf("after the last migrate %d migrations are recorded, want all %d", applied, len(all))
	}
	t.Logf("migrate killed inside its transaction (%s); the schema matched what was recorded each time and the next migrate applied: %s",
		strings.Join(seen, ", "), strings.TrimSpace(strings.ReplaceAll(out, "\n", ", ")))
}

// consistentSchema checks that each migration's mark in the schema is there
// exactly when the migration is recorded as applied, and returns how many
// are recorded.
func consistentSchema(t *testing.T, fdb *faultDB) int {
	t.Helper()
	recorded := map[string]bool{}
	if fdb.int(t, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'bun_migrations'") == 1 {
		rows, err := fdb.conn.Query(context.Background(), "SELECT name FROM bun_migrations")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			recorded[name] = true
		}
		rows.Close()
	}
	// Each mark is what its migration creates first, before the statement
	// the test holds it on, so a migration that was not one transaction
	// would leave its mark without its record.
	marks := map[string]string{
		"0001": "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'manufacturers'",
		"0002": "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'board_groups'",
		"0003": "SELECT count(*) FROM information_schema.columns WHERE table_name = 'discovery_tasks' AND column_name = 'lease_expires_at'",
	}
	for name, q := range marks {
		if there := fdb.int(t, q) == 1; there != recorded[name] {
			t.Fatalf("migration %s: recorded %v, schema has it %v", name, recorded[name], there)
		}
	}
	return len(recorded)
}
