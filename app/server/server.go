// Package server assembles a running Micboard over one database: the live
// board, the monitor that feeds it, the persister that stores it, and the
// web server that shows it. main and the end-to-end tests both use it, so
// what the tests run is what ships.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/uptrace/bun"

	"micboard/app/alert"
	"micboard/app/cache"
	"micboard/app/config"
	"micboard/app/live"
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

	opts Options
	log  *slog.Logger
	mgr  atomic.Pointer[monitor.Manager]
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
	ao := o.Alerts
	ao.Board, ao.Store, ao.Logger = board, st.Fresh(), o.Logger
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
	return &Server{Board: board, Store: st, Web: w, Alerts: alerts, opts: o, log: o.Logger}, nil
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
	fresh := s.Store.Fresh()
	mgr := monitor.New(fresh, s.Board, mo)
	s.mgr.Store(mgr)
	// The console stops and starts watching receivers and writes channel
	// names through it.
	s.Web.AttachDevices(mgr)
	disc := monitor.NewDiscoverer(fresh, monitor.DiscoveryOptions{Logger: s.log.With("component", "discovery"), Observer: s.Web.Metrics()})
	persister := &live.Persister{
		Board: s.Board, Store: fresh, Logger: s.log.With("component", "persist"),
		StateEvery: s.opts.Persist.StateEvery, MeterEvery: s.opts.Persist.MeterEvery,
	}

	var wg sync.WaitGroup
	bg, stop := context.WithCancel(ctx)
	defer func() { stop(); wg.Wait() }()
	for _, run := range []func(context.Context){
		func(ctx context.Context) { mgr.Run(ctx) },
		disc.Run,
		persister.Run,
		s.Board.Run,
		s.Alerts.Run,
	} {
		wg.Add(1)
		go func() { defer wg.Done(); run(bg) }()
	}
	if err := s.Web.Serve(ctx, ln); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
