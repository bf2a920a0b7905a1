// Command fleetbench measures a real `micboard serve` watching a simulated
// fleet while browsers follow the board's live stream, each in its own
// process as on a show night:
//
//	fleetbench --receivers 250 --meter-rate 100ms --streams 0,10,100 --duration 40s
//
// It starts the simulator fleet in its own process (this one), registers
// the receivers in a fresh database, starts bin/micboard against it, and for
// each stream count opens that many streams and prints one line: the
// server's CPU (% of one core) and resident memory, bytes per second per
// stream, update latency (a channel renamed on the simulator until the tile
// arrives on a stream) and how many receivers were declared offline.
//
// With --instances N it starts N instances on the one database instead,
// which share the receivers by their leases, and prints each instance's CPU
// and memory, and the update latency both on the streams of the instance
// watching the renamed receiver and on those of the others (the change
// crossed PostgreSQL's LISTEN/NOTIFY):
//
//	fleetbench --instances 2 --receivers 500 --meter-rate 1s --streams 10
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/db"
	"micboard/app/device/sim"
	"micboard/app/monitor"
	"micboard/app/store"
)

type options struct {
	receivers int
	models    []string
	meterRate time.Duration
	streams   []int
	duration  time.Duration
	warmup    time.Duration
	jitter    float64
	dbURL     string
	micboard  string
	probes    time.Duration
	instances int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "fleetbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fleetbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o       options
		models  = fs.String("models", "ulxd4q", "simulated models, cycled")
		streams = fs.String("streams", "0,10,100", "comma-separated stream counts, one run each")
	)
	fs.IntVar(&o.receivers, "receivers", 250, "simulated receivers")
	fs.DurationVar(&o.meterRate, "meter-rate", 100*time.Millisecond, "MICBOARD_METER_RATE of the server")
	fs.DurationVar(&o.duration, "duration", 40*time.Second, "measured time per run")
	fs.DurationVar(&o.warmup, "warmup", 10*time.Second, "time after the streams open before measuring")
	fs.Float64Var(&o.jitter, "meter-jitter", 6, "dB the simulated audio wobbles per sample (0: levels move once a second)")
	fs.StringVar(&o.dbURL, "database-url", "postgres://postgres@127.0.0.1:5432/micboard_fleetbench?sslmode=disable", "database to create afresh for the run (dropped first)")
	fs.StringVar(&o.micboard, "micboard", "bin/micboard", "the micboard binary to measure")
	fs.DurationVar(&o.probes, "probe-every", 500*time.Millisecond, "how often a channel is renamed to time an update")
	fs.IntVar(&o.instances, "instances", 1, "micboard serve instances sharing the receivers on the one database (streams are per instance)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.instances < 1 {
		return fmt.Errorf("--instances %d: want at least 1", o.instances)
	}
	o.models = strings.Split(*models, ",")
	for _, s := range strings.Split(*streams, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return fmt.Errorf("--streams: %q is not a count", s)
		}
		o.streams = append(o.streams, n)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	fleet, err := sim.StartFleet(sim.FleetConfig{
		Receivers: o.receivers, Models: o.models, Host: "127.0.0.1", Scenario: sim.ScenarioSteady,
		Seed: 1, MeterJitter: o.jitter, Logger: log,
	})
	if err != nil {
		return fmt.Errorf("start fleet: %w", err)
	}
	defer fleet.Stop()
	if err := prepareDatabase(ctx, o.dbURL, fleet); err != nil {
		return err
	}
	srvs := make([]*server, 0, o.instances)
	defer func() {
		// Stopped together: each hands its receivers over as it stops.
		var wg sync.WaitGroup
		for _, s := range srvs {
			wg.Add(1)
			go func() { defer wg.Done(); s.stop() }()
		}
		wg.Wait()
	}()
	for i := range o.instances {
		srv, err := startServer(ctx, o, stderr, fmt.Sprintf("fleetbench-%d", i+1))
		if err != nil {
			return err
		}
		srvs = append(srvs, srv)
	}
	for _, srv := range srvs {
		if err := srv.waitOnline(ctx, 90*time.Second); err != nil {
			return err
		}
	}
	pids := make([]string, len(srvs))
	for i, s := range srvs {
		pids[i] = strconv.Itoa(s.cmd.Process.Pid)
	}
	if o.instances > 1 {
		if err := waitSpread(ctx, srvs, o.receivers, 90*time.Second); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "fleet: %d receivers (%s), %d channels, metering every %s; %d instances on one database, pids %s\n",
			o.receivers, strings.Join(o.models, ","), channels(fleet), o.meterRate, o.instances, strings.Join(pids, ","))
	} else {
		fmt.Fprintf(stdout, "fleet: %d receivers (%s), %d channels, metering every %s; server pid %d\n",
			o.receivers, strings.Join(o.models, ","), channels(fleet), o.meterRate, srvs[0].cmd.Process.Pid)
	}
	for _, n := range o.streams {
		res, err := measure(ctx, o, srvs, fleet, n)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, res)
	}
	return nil
}

func channels(f *sim.Fleet) int {
	n := 0
	for _, r := range f.Receivers() {
		n += r.Channels()
	}
	return n
}

// prepareDatabase creates the database afresh, migrates it and registers
// every simulated receiver the way `micboard receiver add` does.
func prepareDatabase(ctx context.Context, dbURL string, fleet *sim.Fleet) error {
	u, err := url.Parse(dbURL)
	if err != nil {
		return fmt.Errorf("--database-url: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin := *u
	admin.Path = "/postgres"
	adb, err := db.Open(ctx, admin.String())
	if err != nil {
		return fmt.Errorf("open %s: %w", admin.Redacted(), err)
	}
	defer adb.Close()
	if _, err := adb.NewRaw("DROP DATABASE IF EXISTS ? WITH (FORCE)", bun.Ident(name)).Exec(ctx); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	if _, err := adb.NewRaw("CREATE DATABASE ?", bun.Ident(name)).Exec(ctx); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	bdb, err := db.Open(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("open %s: %w", u.Redacted(), err)
	}
	defer bdb.Close()
	if _, err := db.Migrate(ctx, bdb); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	st := store.New(bdb)
	eps := fleet.Endpoints()
	work := make(chan sim.Endpoint)
	errs := make(chan error, len(eps))
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ep := range work {
				if _, err := monitor.Register(ctx, st, ep.Vendor, ep.Host, ep.Port, nil); err != nil {
					errs <- fmt.Errorf("register %s: %w", ep.Addr(), err)
				}
			}
		}()
	}
	for _, ep := range eps {
		work <- ep
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs // nil when none failed
}

// server is a micboard process under measurement.
type server struct {
	id   string // MICBOARD_INSTANCE_ID
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

func startServer(ctx context.Context, o options, stderr io.Writer, id string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(o.micboard, "serve")
	cmd.Env = append(os.Environ(),
		"MICBOARD_DATABASE_URL="+o.dbURL,
		"MICBOARD_LISTEN="+addr,
		"MICBOARD_METER_RATE="+o.meterRate.String(),
		"MICBOARD_PUBLIC_BOARD=true",
		"MICBOARD_LOG_LEVEL=warn",
		"MICBOARD_MAX_STREAMS=100000",
		"MICBOARD_MAX_CONNS_PER_CLIENT=0",
		"MICBOARD_INSTANCE_ID="+id,
	)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.micboard, err)
	}
	s := &server{id: id, cmd: cmd, base: "http://" + addr, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	return s, nil
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// waitOnline waits until the board shows every receiver answering.
func (s *server) waitOnline(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("micboard serve exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		body, err := getBody(ctx, s.base+"/board/grid")
		if err != nil {
			last = err.Error()
			continue
		}
		tiles, off := strings.Count(body, "<article"), strings.Count(body, `data-status="RX_OFFLINE"`)
		if tiles > 0 && off == 0 {
			return nil
		}
		last = fmt.Sprintf("%d of %d tiles offline", off, tiles)
	}
	return fmt.Errorf("fleet not online within %s: %s", within, last)
}

func getBody(ctx context.Context, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", u, res.Status)
	}
	return string(b), err
}

// waitSpread waits until the instances hold leases on every receiver
// between them, each some, and the figures stay put for a few seconds: the
// first instance up may have claimed them all and shed the excess since.
func waitSpread(ctx context.Context, srvs []*server, receivers int, within time.Duration) error {
	deadline := time.Now().Add(within)
	var last, stable string
	var since time.Time
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		held := make([]string, len(srvs))
		sum, spread := 0, true
		for i, s := range srvs {
			n, err := leasesHeld(ctx, s)
			if err != nil {
				last = err.Error()
				spread = false
				break
			}
			held[i] = fmt.Sprintf("%s %d", s.id, n)
			sum += n
			spread = spread && n > 0
		}
		if !spread || sum != receivers {
			last, stable = fmt.Sprintf("leases held: %s of %d", strings.Join(held, ", "), receivers), ""
			continue
		}
		if now := strings.Join(held, ", "); now != stable {
			stable, since = now, time.Now()
			continue
		}
		if time.Since(since) >= 3*time.Second {
			return nil
		}
	}
	return fmt.Errorf("receivers not shared by the instances within %s: %s", within, last)
}

// leasesHeld reads how many receiver leases an instance holds from its
// /readyz.
func leasesHeld(ctx context.Context, s *server) (int, error) {
	body, err := getBody(ctx, s.base+"/readyz")
	if err != nil {
		return 0, err
	}
	var h struct {
		Leases *struct {
			Held int `json:"held"`
		} `json:"leases"`
	}
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		return 0, fmt.Errorf("%s /readyz: %w", s.id, err)
	}
	if h.Leases == nil {
		return 0, fmt.Errorf("%s /readyz says nothing of leases", s.id)
	}
	return h.Leases.Held, nil
}
