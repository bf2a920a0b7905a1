package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"micboard/app/db"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/server"
	"micboard/app/service"
)

// PostgreSQL stopped under a running fleet: the board, its grid, its live
// streams and a wall display keep serving live data from memory, /readyz
// says why it is not ready, no receiver is declared offline, and a change
// made meanwhile reaches the database once it is back, without restarting
// Micboard. The server is a private one this test starts and stops, never
// the one other tests share.
func TestDatabaseStopsUnderRunningFleet(t *testing.T) {
	outage, receivers := 5*time.Second, 6
	if soak() {
		outage, receivers = 30*time.Second, 20
	}
	pg := startPrivatePostgres(t)
	ctx := context.Background()
	dbURL := pg.url("micboard")
	if err := db.EnsureDatabase(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	bdb, err := db.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	if _, err := db.Migrate(ctx, bdb); err != nil {
		t.Fatal(err)
	}
	in := startInstance(t, bdb, map[string]string{"MICBOARD_DATABASE_URL": dbURL}, receivers,
		// The persister keeps its defaults, so the figures are what ships;
		// heartbeats are written every second to see them return soon.
		server.Options{Monitor: monitor.Options{HeartbeatEvery: time.Second}})

	// The channel whose battery changes during the outage.
	rx := in.fleet.Receivers()[0]
	ch, ok := in.srv.Board.ChannelID(in.receiverIDs[rx.Port()], 1)
	if !ok {
		t.Fatalf("receiver on port %d has no channel 1 on the board", rx.Port())
	}
	if err := rx.SetBatteryBars(1, 5); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "battery stored before the outage", func() error { return storedBars(ctx, in, ch, 5) })

	// A wall display, loaded once so its lookup is remembered.
	kioskRow, token, err := service.NewKiosks(in.st).Create(ctx, service.KioskInput{Name: "Wings", ShowRF: true, ShowAudio: true})
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{"/", "/board/grid", "/kiosk/" + token, "/kiosk/" + token + "/grid"}
	for _, p := range pages {
		if code, body := fetch(t, http.MethodGet, in.base+p); code != http.StatusOK {
			t.Fatalf("%s before the outage: %d %.200s", p, code, body)
		}
	}
	if code, body := fetch(t, http.MethodGet, in.base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz before the outage: %d %s", code, body)
	}
	sctx, stopStreams := context.WithCancel(ctx)
	defer stopStreams()
	board := followStream(t, sctx, in.base+"/board/events")
	kiosk := followStream(t, sctx, in.base+"/kiosk/"+token+"/events")

	// The outage.
	pg.stop(t)
	down := time.Now()
	if err := db.Ping(ctx, bdb); err == nil {
		t.Fatal("the database still answers after it was stopped")
	}
	// Watch the fleet throughout: nobody may be declared offline, and the
	// process must keep serving.
	offline := make(chan string, 1)
	watchCtx, stopWatch := context.WithCancel(ctx)
	var watching sync.WaitGroup
	watching.Add(1)
	go func() {
		defer watching.Done()
		for watchCtx.Err() == nil {
			for _, tl := range in.srv.Board.Tiles() {
				if !tl.Online {
					select {
					case offline <- fmt.Sprintf("receiver %d declared offline %s into the outage", tl.ReceiverID, time.Since(down).Round(time.Millisecond)):
					default:
					}
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	time.Sleep(500 * time.Millisecond) // let every pool connection find the server gone
	for _, p := range pages {
		if code, body := fetch(t, http.MethodGet, in.base+p); code != http.StatusOK {
			t.Errorf("%s during the outage: %d %.200s", p, code, body)
		}
	}
	if code, body := fetch(t, http.MethodPost, in.base+"/kiosk/"+token+"/heartbeat"); code != http.StatusNoContent {
		t.Errorf("kiosk heartbeat during the outage: %d %.200s", code, body)
	}
	code, body := fetch(t, http.MethodGet, in.base+"/readyz")
	var ready struct{ Status, Reason string }
	_ = json.Unmarshal([]byte(body), &ready)
	if code != http.StatusServiceUnavailable || ready.Reason == "" {
		t.Errorf("/readyz during the outage: %d %s; want 503 with a reason", code, body)
	}
	// Streams opened during the outage work too.
	lateBoard := followStream(t, sctx, in.base+"/board/events")
	lateKiosk := followStream(t, sctx, in.base+"/kiosk/"+token+"/events")

	// A transmitter's battery drops during the outage: the board and its
	// streams show it at once.
	changed := time.Now()
	if err := rx.SetBatteryBars(1, 1); err != nil {
		t.Fatal(err)
	}
	tileEvent := "t" + strconv.FormatInt(ch, 10)
	waitFor(t, 5*time.Second, "the battery change on the board and its streams", func() error {
		tl, _ := in.srv.Board.Tile(ch)
		if tl.Battery.Bars == nil || *tl.Battery.Bars != 1 {
			return fmt.Errorf("board shows %v bars", tl.Battery.Bars)
		}
		for name, s := range map[string]*eventStream{"board": board, "kiosk": kiosk, "board opened during the outage": lateBoard, "kiosk opened during the outage": lateKiosk} {
			if s.count(tileEvent, changed) == 0 {
				return fmt.Errorf("%s stream has no %s event since the change", name, tileEvent)
			}
		}
		return nil
	})

	time.Sleep(time.Until(down.Add(outage)))
	up := time.Now()
	lastSecond := up.Add(-time.Second)
	for name, s := range map[string]*eventStream{"board": board, "kiosk": kiosk, "board opened during the outage": lateBoard, "kiosk opened during the outage": lateKiosk} {
		if n := s.count("", lastSecond); n == 0 {
			t.Errorf("%s stream got no live event in the outage's last second (%d in all)", name, s.count("", time.Time{}))
		}
		if err := s.failed(); err != nil {
			t.Errorf("%s stream: %v", name, err)
		}
	}
	duringOutage := board.count("", down)
	if code, body := fetch(t, http.MethodGet, in.base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz at the end of the outage: %d %s", code, body)
	}

	// PostgreSQL returns on the same port and data; Micboard is not
	// restarted.
	pg.start(t)
	restarted := time.Now()
	var readyIn, storedIn time.Duration
	waitFor(t, 20*time.Second, "/readyz 200 after the database returned", func() error {
		if code, body := fetch(t, http.MethodGet, in.base+"/readyz"); code != http.StatusOK {
			return fmt.Errorf("%d %s", code, body)
		}
		readyIn = time.Since(restarted)
		return nil
	})
	waitFor(t, 20*time.Second, "the change made during the outage stored", func() error {
		if err := storedBars(ctx, in, ch, 1); err != nil {
			return err
		}
		storedIn = time.Since(restarted)
		return nil
	})
	// What the monitor and the displays record is written again: the
	// loops that write it did not wedge.
	if code, body := fetch(t, http.MethodPost, in.base+"/kiosk/"+token+"/heartbeat"); code != http.StatusNoContent {
		t.Errorf("kiosk heartbeat after the outage: %d %.200s", code, body)
	}
	waitFor(t, 10*time.Second, "heartbeats recorded after the database returned", func() error {
		for port, id := range in.receiverIDs {
			c, err := in.st.Connections.ByReceiver(ctx, id)
			if err != nil {
				return fmt.Errorf("connection of receiver %d: %w", id, err)
			}
			if c.Status != model.ConnConnected || c.LastMessageAt == nil || c.LastMessageAt.Before(restarted) {
				return fmt.Errorf("receiver %d (port %d): %s, last message %v", id, port, c.Status, c.LastMessageAt)
			}
		}
		k, err := in.st.Kiosks.FindActive(ctx, strconv.FormatInt(kioskRow.ID, 10))
		if err != nil {
			return fmt.Errorf("read the display: %w", err)
		}
		if k.LastSeenAt == nil || k.LastSeenAt.Before(restarted) {
			return fmt.Errorf("display last seen %v", k.LastSeenAt)
		}
		return nil
	})
	stopWatch()
	watching.Wait()
	select {
	case msg := <-offline:
		t.Error(msg)
	default:
	}
	if code, body := fetch(t, http.MethodGet, in.base+"/"); code != http.StatusOK {
		t.Errorf("/ after the outage: %d %.200s", code, body)
	}

	t.Logf("PostgreSQL stopped %s under %d receivers: board, grid, kiosk and 4 streams served live data throughout "+
		"(%d events on one stream during the outage), /readyz 503 %q, none offline; after the restart /readyz 200 in %s, "+
		"the battery change made during the outage stored in %s, nothing lost",
		up.Sub(down).Round(100*time.Millisecond), receivers, duringOutage, ready.Reason,
		readyIn.Round(10*time.Millisecond), storedIn.Round(10*time.Millisecond))
}

// storedBars checks the battery bars the transmitters table holds for a
// channel.
func storedBars(ctx context.Context, in *instance, ch int64, want int) error {
	tx, err := in.st.Transmitters.ByChannel(ctx, ch)
	if err != nil {
		return fmt.Errorf("read transmitter of channel %d: %w", ch, err)
	}
	if tx.BatteryBars == nil || *tx.BatteryBars != want {
		return fmt.Errorf("channel %d stored with %v bars, want %d", ch, tx.BatteryBars, want)
	}
	return nil
}

// fetch answers the status and body of one request on a fresh connection.
func fetch(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, url, err)
	}
	return res.StatusCode, string(b)
}

// eventStream records the events of one live stream as they arrive.
type eventStream struct {
	mu     sync.Mutex
	events []streamEvent
	err    error
}

type streamEvent struct {
	name string
	at   time.Time
}

// followStream opens a live stream and records its events until ctx ends.
func followStream(t *testing.T, ctx context.Context, url string) *eventStream {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	res, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		t.Fatalf("open %s: %s", url, res.Status)
	}
	s := &eventStream{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok && name != "ping" {
				s.mu.Lock()
				s.events = append(s.events, streamEvent{name, time.Now()})
				s.mu.Unlock()
			}
		}
		if ctx.Err() == nil {
			s.mu.Lock()
			s.err = fmt.Errorf("ended: %v", sc.Err())
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { <-done })
	return s
}

// count returns how many events named name (any, when empty) arrived
// since a moment.
func (s *eventStream) count(name string, since time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.events {
		if (name == "" || e.name == name) && !e.at.Before(since) {
			n++
		}
	}
	return n
}

func (s *eventStream) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// privatePG is a PostgreSQL server of this test's own, in a temporary
// directory, that the test may stop and start at will.
type privatePG struct {
	bin  string // directory of initdb and pg_ctl
	dir  string // socket directory and log
	data string
	port int
	// asUser runs the server's commands as this OS user: PostgreSQL
	// refuses to run as root.
	asUser string
}

// startPrivatePostgres initialises and starts a server on a free loopback
// port; it is stopped when the test ends. The test is skipped when
// PostgreSQL's server programs are not installed.
func startPrivatePostgres(t *testing.T) *privatePG {
	t.Helper()
	bin := postgresBin()
	if bin == "" {
		t.Skip("initdb is not installed: this test runs a PostgreSQL server of its own")
	}
	pg := &privatePG{bin: bin, dir: t.TempDir()}
	pg.data = filepath.Join(pg.dir, "data")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root, and no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		// The server's user must reach its directory inside the test's.
		if err := os.Chmod(filepath.Dir(pg.dir), 0o711); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(pg.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		pg.asUser = "postgres"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pg.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if out, err := pg.run("initdb", "-D", pg.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	pg.start(t)
	t.Cleanup(func() {
		if out, err := pg.run("pg_ctl", "stop", "-D", pg.data, "-m", "immediate", "-w"); err != nil && !strings.Contains(string(out), "not running") {
			t.Logf("stop the private PostgreSQL: %v\n%s", err, out)
		}
	})
	return pg
}

// postgresBin finds the directory of initdb: on PATH, or Debian's
// versioned directories (the newest).
func postgresBin() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(found, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return vi > vj
	})
	if len(found) == 0 {
		return ""
	}
	return filepath.Dir(found[0])
}

func (pg *privatePG) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(pg.bin, prog)
	var cmd *exec.Cmd
	if pg.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", pg.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = pg.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w", prog, strings.Join(args, " "), err)
	}
	return out, nil
}

// start runs the server on its port, its socket in its own directory, and
// waits until it accepts connections.
func (pg *privatePG) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", pg.port, pg.dir)
	if out, err := pg.run("pg_ctl", "start", "-D", pg.data, "-w", "-t", "60", "-l", filepath.Join(pg.dir, "server.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(pg.dir, "server.log"))
		t.Fatalf("start the private PostgreSQL: %v\n%s\n%s", err, out, log)
	}
}

// stop shuts the server down the way an operator's restart does: every
// session is ended at once.
func (pg *privatePG) stop(t *testing.T) {
	t.Helper()
	if out, err := pg.run("pg_ctl", "stop", "-D", pg.data, "-m", "fast", "-w"); err != nil {
		t.Fatalf("stop the private PostgreSQL: %v\n%s", err, out)
	}
}

func (pg *privatePG) url(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.port, name)
}
