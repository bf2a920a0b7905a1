package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/config"
	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/server"
	"micboard/app/store"
)

// testModels is the fleet most tests use: 4 + 2 + 4 = 10 channels over
// Shure TCP (ULX-D, Axient Digital) and Sennheiser UDP (EW-DX).
var testModels = []string{"ulxd4q", "ad4d", "ewdx4"}

// Indexes of testModels' receivers.
const (
	rxULXD = 0
	rxAD   = 1
	rxEWDX = 2
)

// fastMonitor makes the monitor notice changes within a second, so the tests
// wait on the browser, not on timers.
var fastMonitor = monitor.Options{
	MeterRate:      250 * time.Millisecond,
	PollEvery:      200 * time.Millisecond,
	BackoffMin:     100 * time.Millisecond,
	BackoffMax:     time.Second,
	HeartbeatEvery: time.Second,
}

// stack is one Micboard over a fresh database and a simulated fleet, served
// in-process on a fixed loopback port so it can be restarted on that port.
type stack struct {
	t    *testing.T
	DB   *bun.DB
	St   *store.Store
	Rx   []*sim.Receiver
	Regs []*model.Receiver // registered receivers, in fleet order, with channels
	addr string
	// private keeps MICBOARD_PUBLIC_BOARD at its default (false): the board
	// needs a login. Most tests read the board as a public one.
	private bool
	log     *slog.Logger
	logs    *logBuffer
	// monitor replaces fastMonitor when a test's setup sets it.
	monitor *monitor.Options

	srv    *server.Server
	cancel context.CancelFunc
	done   chan error
}

// newStack starts the fleet, registers every receiver from its own answers,
// runs setup (performers, names, groups: anything the board loads at start)
// and starts the server.
func newStack(t *testing.T, models []string, seed uint64, setup func(ctx context.Context, s *stack)) *stack {
	t.Helper()
	return newStackWith(t, models, seed, false, setup)
}

// newPrivateStack is newStack with the board behind the login, as
// Micboard starts by default.
func newPrivateStack(t *testing.T, models []string, seed uint64, setup func(ctx context.Context, s *stack)) *stack {
	t.Helper()
	return newStackWith(t, models, seed, true, setup)
}

func newStackWith(t *testing.T, models []string, seed uint64, private bool, setup func(ctx context.Context, s *stack)) *stack {
	t.Helper()
	logs := &logBuffer{}
	s := &stack{t: t, logs: logs, private: private, log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server and simulator log:\n%s", logs.String())
		}
	})
	s.DB = dbtest.New(t)
	s.St = store.New(s.DB)

	fleet, err := sim.StartFleet(sim.FleetConfig{
		Receivers: len(models), Models: models, Host: "127.0.0.1", Seed: seed, Logger: s.log.With("component", "sim"),
	})
	if err != nil {
		t.Fatalf("start simulated fleet: %v", err)
	}
	t.Cleanup(func() { _ = fleet.Stop() })
	s.Rx = fleet.Receivers()

	// Registering asks each receiver in turn: a big fleet gets longer.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second+time.Duration(len(models))*time.Second)
	defer cancel()
	for i, ep := range fleet.Endpoints() {
		reg, err := monitor.Register(ctx, s.St, ep.Vendor, ep.Host, ep.Port, nil)
		if err != nil {
			t.Fatalf("register simulated %s at %s: %v", ep.Model, ep.Addr(), err)
		}
		if reg, err = s.St.Receivers.Get(ctx, reg.ID); err != nil {
			t.Fatalf("load receiver %d: %v", i, err)
		}
		if len(reg.Channels) != ep.Channels {
			t.Fatalf("%s registered with %d channels, want %d", ep.Model, len(reg.Channels), ep.Channels)
		}
		s.Regs = append(s.Regs, reg)
	}
	if setup != nil {
		setup(ctx, s)
	}

	// A fixed port: the restart test serves again on the same address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick a port: %v", err)
	}
	s.addr = ln.Addr().String()
	ln.Close()
	t.Cleanup(s.stop)
	s.start()
	return s
}

// url returns the address of path on the server.
func (s *stack) url(path string) string { return "http://" + s.addr + path }

// channelID returns the database id (and tile id) of channel ch (1-based) of
// fleet receiver rx.
func (s *stack) channelID(rx, ch int) int64 {
	s.t.Helper()
	for _, c := range s.Regs[rx].Channels {
		if c.Number == ch {
			return c.ID
		}
	}
	s.t.Fatalf("receiver %d has no channel %d", rx, ch)
	return 0
}

// channelCount is how many channels the fleet registered.
func (s *stack) channelCount() int {
	n := 0
	for _, r := range s.Regs {
		n += len(r.Channels)
	}
	return n
}

// start builds a new server over the database and serves it on s.addr.
func (s *stack) start() {
	s.t.Helper()
	cfg, err := config.Parse(func(string) (string, bool) { return "", false })
	if err != nil {
		s.t.Fatalf("default config: %v", err)
	}
	cfg.Listen = s.addr
	cfg.PublicBoard = !s.private
	ctx, cancel := context.WithCancel(context.Background())
	mon := fastMonitor
	if s.monitor != nil {
		mon = *s.monitor
	}
	srv, err := server.New(ctx, server.Options{Config: cfg, DB: s.DB, Logger: s.log, Monitor: mon})
	if err != nil {
		cancel()
		s.t.Fatalf("build server: %v", err)
	}
	// The previous server's socket may linger for a moment after a restart.
	var ln net.Listener
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err = net.Listen("tcp", s.addr)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		cancel()
		s.t.Fatalf("listen on %s again: %v", s.addr, err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	s.srv, s.cancel, s.done = srv, cancel, done

	// Ready when it answers.
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(s.url("/healthz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("server on %s not healthy: %v", s.addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop shuts the server down and waits for Serve to return; a server that
// does not stop fails the test instead of hanging it.
func (s *stack) stop() {
	s.t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		s.t.Fatalf("server on %s did not stop within 20 s", s.addr)
	}
	s.cancel, s.srv = nil, nil
}

// waitPortClosed waits until nothing answers on the server's address.
func (s *stack) waitPortClosed() {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("%s still answers after the server stopped", s.addr)
}

// waitBoard waits until the server's own board says cond, so a test acts on
// the simulator only once the monitor is connected.
func (s *stack) waitBoard(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("board: %s: not within 15 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tileStatus is the status the server's board holds for a channel.
func (s *stack) tileStatus(id int64) model.Status {
	t, ok := s.srv.Board.Tile(id)
	if !ok {
		return ""
	}
	return t.Status
}

// waitOnline waits until every channel of the fleet is live on the board.
func (s *stack) waitOnline() {
	s.t.Helper()
	s.waitBoard("every receiver online", func() bool {
		for _, r := range s.Regs {
			for _, c := range r.Channels {
				if st := s.tileStatus(c.ID); st == "" || st == model.StatusRxOffline {
					return false
				}
			}
		}
		return true
	})
}

// must fails the test on a simulator hook's error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// logBuffer collects the server's log, shown only when a test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 4<<20 {
		return len(p), nil // enough to read; keep memory bounded
	}
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tileSel is the CSS selector of a channel's tile.
func tileSel(id int64) string { return "#tile-" + strconv.FormatInt(id, 10) }

// jsString quotes s for JavaScript source.
func jsString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}
