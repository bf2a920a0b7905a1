// Package server assembles a running Micboard over one database: the live
// board, the monitor that feeds it, the persister that stores it, and the
// web server that shows it. main and the end-to-end tests both use it, so
// what the tests run is what ships.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/alert"
	"micboard/app/cache"
	"micboard/app/cluster"
	"micboard/app/config"
	"micboard/app/db"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/service"
	"micboard/app/store"
	"micboard/app/web"
)

// Options configure a Server.
type Options struct {
	Config  config.Config
	DB      *bun.DB
	Cache   *cache.Cache // nil: in memory
	Logger  *slog.Logger // nil: discard
	Version string
	// Monitor overrides the monitor's options; MeterRate defaults to
	// Config.MeterRate.
	Monitor monitor.Options
	// Persist overrides how often the board is written (zero: defaults).
	Persist live.Persister
	// Timeouts bound each part of an HTTP request (zero fields:
	// web.DefaultTimeouts); fault tests tighten them to watch abusive
	// connections end without waiting minutes.
	Timeouts web.Timeouts
	// Alerts overrides the alerting's rules and delivery timings; where
	// mail and MQTT go comes from Config.
	Alerts alert.SystemOptions
}

// Server is one Micboard instance.
type Server struct {
	Board *live.Board
	Store *store.Store
	Web   *web.Server
	// Alerts raises alerts on the board's changes and delivers them.
	Alerts *alert.System

	// Keeper holds this instance's receiver leases; Relay and AlertRelay
	// carry the board's changes and alert events between instances.
	Keeper     *cluster.Keeper
	Relay      *cluster.Relay
	AlertRelay *cluster.AlertRelay

	opts   Options
	log    *slog.Logger
	mgr    atomic.Pointer[monitor.Manager]
	origin string // this process's name on the cluster's channels
}

// Monitor returns the monitor watching the receivers while Serve runs (nil
// before).
func (s *Server) Monitor() *monitor.Manager { return s.mgr.Load() }

// New loads the board from the database and builds the web server.
func New(ctx context.Context, o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Cache == nil {
		o.Cache = cache.NewMemory(o.Logger)
	}
	// Reads for the web side go through the cache; the board, the monitor,
	// the persister and the alerts read the database itself (Fresh), since
	// they must see receivers another process registered. Writes from
	// either drop what they change.
	st := store.NewCached(o.DB, o.Cache)
	// Every vendor of the device registry has its manufacturer row before
	// the console lists them: a new vendor needs no migration.
	if err := service.SyncManufacturers(ctx, st.Fresh()); err != nil {
		return nil, err
	}
	board := live.NewBoard(live.Options{})
	if err := board.Load(ctx, st.Fresh()); err != nil {
		return nil, err
	}
	w, err := web.New(web.Deps{Config: o.Config, DB: o.DB, Logger: o.Logger, Cache: o.Cache, Version: o.Version, Board: board, Store: st, Timeouts: o.Timeouts})
	if err != nil {
		return nil, err
	}
	keeper := newKeeper(o, st.Fresh(), board)
	clog := o.Logger.With("component", "cluster")
	// The relays tell their own notifications apart by a name of this
	// process alone, whatever the instance is called.
	origin := randomName()
	relay := cluster.NewRelay(cluster.RelayOptions{Store: st.Fresh(), Board: board, Origin: origin, Owns: keeper.Owns, Alone: keeper.Alone, Logger: clog})
	alertRelay := cluster.NewAlertRelay(st.Fresh(), origin, clog)
	ao := o.Alerts
	ao.Board, ao.Store, ao.Logger = board, st.Fresh(), o.Logger
	ao.Owns, ao.Relay = keeper.Owns, alertRelay
	ao.SMTPURL, ao.SMTPFrom, ao.MQTTURL = o.Config.SMTPURL, o.Config.SMTPFrom, o.Config.MQTTURL
	if ao.Rules.Repeat == 0 {
		ao.Rules.Repeat = o.Config.AlertRepeat
	}
	if ao.Escalation.After == 0 {
		ao.Escalation.After = o.Config.AlertEscalateAfter
	}
	if ao.TimeZone == nil {
		ao.TimeZone = o.Config.TimeZone
	}
	alerts, err := alert.NewSystem(ao)
	if err != nil {
		return nil, err
	}
	w.AttachAlerts(alerts)
	alertRelay.Apply, alertRelay.Reload = alerts.ApplyRemote, alerts.Engine.Adopt
	w.AttachCluster(keeper)
	w.AttachRelayStats(relay.Stats)
	return &Server{Board: board, Store: st, Web: w, Alerts: alerts, Keeper: keeper, Relay: relay, AlertRelay: alertRelay, opts: o, log: o.Logger, origin: origin}, nil
}

// roundWait is the longest the first lease round may delay serving pages.
const roundWait = 3 * time.Second

// instanceID names this instance: as configured, else its host and HTTP
// port, which no other running instance can share and which a restarted
// instance keeps, so it takes its own leases back at once instead of
// waiting for them to expire. A random port gets a random name.
func instanceID(c config.Config, host, listening string) string {
	if c.InstanceID != "" {
		return c.InstanceID
	}
	if _, port, err := net.SplitHostPort(listening); err == nil && port != "" && port != "0" {
		return net.JoinHostPort(host, port)
	}
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomName())
}

// randomName is six hex digits no other process is likely to draw.
func randomName() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newKeeper names this instance and builds its lease keeper, which marks
// on board the receivers nobody watches.
func newKeeper(o Options, st *store.Store, board *live.Board) *cluster.Keeper {
	host, _ := os.Hostname()
	// Named for now; Serve names it again from the port it listens on.
	id := instanceID(o.Config, host, "")
	return cluster.New(cluster.Options{
		Store:    st,
		Instance: model.Instance{ID: id, Host: host, Version: o.Version, SchemaVersion: db.SchemaVersion(), StartedAt: time.Now()},
		TTL:      o.Config.LeaseTTL,
		Board:    board,
		Logger:   o.Logger.With("component", "leases"),
	})
}

// Serve runs the monitor, the persister and the board clock, and serves
// HTTP on ln (and the profiler, when Config.PprofListen is set) until ctx
// ends; then it stops them all and waits for them.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if addr := s.opts.Config.PprofListen; addr != "" {
		_, stopPprof, err := startPprof(ctx, addr, s.log.With("component", "pprof"))
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		defer stopPprof()
	}
	mo := s.opts.Monitor
	if mo.MeterRate == 0 {
		mo.MeterRate = s.opts.Config.MeterRate
	}
	if mo.SecretKey == nil {
		// Opens the passwords stored with receivers that need a login.
		mo.SecretKey = s.opts.Config.SecretKey
	}
	if mo.Logger == nil {
		mo.Logger = s.log.With("component", "monitor")
	}
	if mo.Observer == nil {
		// The monitor's service calls show on /admin/performance and
		// /metrics beside the web's.
		mo.Observer = s.Web.Metrics()
	}
	mo.Leases = s.Keeper
	fresh := s.Store.Fresh()
	mgr := monitor.New(fresh, s.Board, mo)
	s.mgr.Store(mgr)
	// The console stops and starts watching receivers and writes channel
	// names through it, or through the instance that watches the receiver.
	devices := &cluster.Devices{Local: mgr, Keeper: s.Keeper, Store: fresh, Origin: s.origin, Logger: s.log.With("component", "cluster")}
	s.Web.AttachDevices(devices)
	disc := monitor.NewDiscoverer(fresh, monitor.DiscoveryOptions{Logger: s.log.With("component", "discovery"), Observer: s.Web.Metrics()})
	persister := &live.Persister{
		Board: s.Board, Store: fresh, Logger: s.log.With("component", "persist"),
		StateEvery: s.opts.Persist.StateEvery, MeterEvery: s.opts.Persist.MeterEvery,
		Fence: s.Keeper,
	}
	host, _ := os.Hostname()
	s.Keeper.SetID(instanceID(s.opts.Config, host, ln.Addr().String()))
	s.Keeper.SetAddr(ln.Addr().String())
	s.Keeper.SetStats(s.Web.SSEClients)
	// The monitor watches what the keeper holds; receivers taken over from
	// another instance bring their unresolved alerts with them.
	s.Keeper.OnChange(func(ctx context.Context, held, gained map[int64]int64) {
		if err := mgr.Sync(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("monitor: follow the receiver leases", "err", err)
		}
		if len(gained) > 0 {
			s.Alerts.Engine.Adopt(ctx)
		}
	})
	listener := &cluster.Listener{DB: s.opts.DB.DB, Logger: s.log.With("component", "cluster")}
	s.Keeper.Attach(listener)
	s.Relay.Attach(listener)
	s.AlertRelay.Attach(listener)
	// Settings changed in the database, here or on another instance
	// (assignments, overrides, receivers), reach this board at once.
	reloader := &cluster.Reloader{Store: fresh, Board: s.Board, Logger: s.log.With("component", "cluster"),
		Loaded: func(ctx context.Context) {
			s.Alerts.Engine.ReloadRules(ctx)
			s.Keeper.Wake() // a receiver added or switched on is claimed at once
		}}
	reloader.Attach(listener)
	devices.Attach(listener)
	listener.Connected = func(ctx context.Context, first bool) {
		// What the others watch, as it is now: this board was read from
		// the database, or missed notifications while disconnected.
		s.Relay.AskResync(ctx)
		s.Keeper.Wake()
	}

	var wg sync.WaitGroup
	bg, stop := context.WithCancel(ctx)
	defer func() { stop(); wg.Wait() }()
	// The keeper runs on its own context: when ctx ends it stops claiming
	// and hands the receivers over (connections closed first, then the
	// leases released) while the web server drains.
	keeperCtx, stopKeeper := context.WithCancel(context.WithoutCancel(ctx))
	keeperDone := make(chan struct{})
	go func() {
		defer close(keeperDone)
		s.Keeper.Run(keeperCtx)
	}()
	monitorDone := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(monitorDone)
		mgr.Run(bg)
	}()
	handedOver := make(chan struct{})
	go func() {
		defer close(handedOver)
		<-ctx.Done()
		stopKeeper()
		<-keeperDone
		<-monitorDone // every receiver's connection closed first
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := s.Keeper.Handover(hctx); err != nil {
			s.log.Warn("hand receivers over to the other instances", "err", err)
		}
	}()
	defer func() { <-handedOver }()
	for _, run := range []func(context.Context){
		disc.Run,
		persister.Run,
		s.Board.Run,
		s.Alerts.Run,
		listener.Run,
		s.Relay.Run,
		s.AlertRelay.Run,
		reloader.Run,
	} {
		wg.Add(1)
		go func() { defer wg.Done(); run(bg) }()
	}
	// Serve pages once the first lease round has run: /readyz then says the
	// instance holds its share, not that it has not looked yet.
	select {
	case <-s.Keeper.Started():
	case <-time.After(roundWait):
	case <-ctx.Done():
	}
	if err := s.Web.Serve(ctx, ln); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
