// Package web is Micboard's Echo server: routes.go lists every route, one
// file per page or action holds its handler, render.go renders the
// templates of views/ and errors.go maps every error to its HTTP answer.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	"github.com/uptrace/bun"

	"micboard/app/alert"
	"micboard/app/cache"
	"micboard/app/cluster"
	"micboard/app/config"
	"micboard/app/live"
	"micboard/app/metrics"
	"micboard/app/service"
	"micboard/app/store"
	"micboard/app/web/middleware"
	"micboard/static"
	"micboard/views"
)

// shutdownGrace is how long in-flight requests get to finish on shutdown.
const shutdownGrace = 10 * time.Second

// Timeouts bound how long one connection may take over each part of a
// request, so a client that sends or reads slowly (or not at all) cannot
// hold a connection and its goroutine for good. Live streams lift the read
// and write limits for themselves (middleware.LongLived).
type Timeouts struct {
	ReadHeader time.Duration // request line and headers
	Read       time.Duration // the whole request, body included
	Write      time.Duration // from the end of the headers to the end of the answer
	Idle       time.Duration // a kept-alive connection between requests
}

// DefaultTimeouts suit pages and small forms: a request body is at most
// 2 MB, a page answers in well under a second.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: time.Minute, Idle: 2 * time.Minute}

func (t Timeouts) orDefaults() Timeouts {
	pick := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	d := DefaultTimeouts
	return Timeouts{pick(t.ReadHeader, d.ReadHeader), pick(t.Read, d.Read), pick(t.Write, d.Write), pick(t.Idle, d.Idle)}
}

// defaultMaxStreams applies when a Config was built without Parse.
const defaultMaxStreams = 5000

// Deps is everything the server needs, built once by main (or a test).
type Deps struct {
	Config   config.Config
	DB       *bun.DB
	Logger   *slog.Logger       // nil: discard
	Cache    *cache.Cache       // nil: a fresh in-memory cache
	Sessions sessions.Store     // nil: a cookie store keyed by Config.SessionSecret
	Version  string             // shown in the footer; "dev" when empty
	Board    *live.Board        // nil: an empty board
	Store    *store.Store       // nil: one over DB
	Timeouts Timeouts           // zero fields: DefaultTimeouts
	Metrics  *metrics.Collector // nil: a fresh collector
}

// Server is the HTTP side of Micboard.
type Server struct {
	cfg      config.Config
	db       *bun.DB
	log      *slog.Logger
	cache    *cache.Cache
	sessions sessions.Store
	version  string
	board    *live.Board
	store    *store.Store
	kiosks   *service.TimedKiosks
	users    *service.TimedUsers
	metrics  *metrics.Collector
	counts   boardCounts
	limits   loginLimits
	now      func() time.Time
	tiles    tileCache
	devAdmin deviceAdmin     // the console's device pages (admin_receivers.go)
	lastGood lastGoodAnswers // database answers pages fall back on
	streams  streamHub
	apiSvc   apiServices   // the JSON API's services and event hub (api.go)
	openAPI  openAPIDoc    // the API's OpenAPI document, built on first request
	alerts   *alert.System // nil: no alerting (tests of the web alone)

	// API tokens (auth_bearer.go) and the API's read and write budgets
	// (api_rate_limit.go).
	tokens    *service.TimedAPITokens
	apiLimits apiLimits

	channelPathPrefix string // "/channels/", from the route table

	echo       *echo.Echo
	routeNames map[string]bool
	routeByKey map[string]string // "METHOD /path" → route name
	views      *templates
	assets     *assets
	http       *http.Server

	stopping chan struct{}
	stopOnce sync.Once

	// cluster is this instance's place among several (nil until
	// AttachCluster): /readyz says whether it holds its leases.
	cluster    Cluster
	relayStats func() cluster.RelayStats
}

// New builds the server: it indexes the static files, parses every template
// and registers the routes, so anything missing fails here, at start-up.
func New(d Deps) (*Server, error) {
	s := &Server{
		cfg:      d.Config,
		db:       d.DB,
		log:      d.Logger,
		cache:    d.Cache,
		sessions: d.Sessions,
		version:  d.Version,
		board:    d.Board,
		store:    d.Store,
		now:      time.Now,
		stopping: make(chan struct{}),
	}
	if s.cfg.SessionIdle <= 0 {
		s.cfg.SessionIdle = 12 * time.Hour
	}
	if s.cfg.SessionMaxAge <= 0 {
		s.cfg.SessionMaxAge = sessionMaxAge * time.Second
	}
	if s.board == nil {
		s.board = live.NewBoard(live.Options{})
	}
	s.streams.s = s
	if s.store == nil && s.db != nil {
		s.store = store.New(s.db)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	// Every line logged with a request's context names the request.
	s.log = slog.New(middleware.WithRequestIDs(s.log.Handler()))
	if s.metrics = d.Metrics; s.metrics == nil {
		s.metrics = metrics.New(s.log)
	}
	if s.store != nil {
		// Services are wrapped once, here: every call is timed.
		s.kiosks = service.TimeKiosks(service.NewKiosks(s.store), s.metrics)
		s.users = service.TimeUsers(service.NewUsers(s.store), s.metrics)
		s.tokens = service.TimeAPITokens(service.NewAPITokens(s.store), s.metrics)
	}
	if s.cache == nil {
		s.cache = cache.NewMemory(s.log)
	}
	if s.version == "" {
		s.version = "dev"
	}
	if s.sessions == nil {
		store, err := newSessionStore(s.cfg.SessionSecret, s.log, int(s.cfg.SessionMaxAge/time.Second))
		if err != nil {
			return nil, err
		}
		s.sessions = store
	}
	var err error
	if s.limits, err = newLoginLimits(s.cache); err != nil {
		return nil, err
	}
	if s.apiLimits, err = newAPILimits(s.cache, s.cfg); err != nil {
		return nil, err
	}
	if s.assets, err = loadAssets(static.FS); err != nil {
		return nil, err
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = ipExtractor(s.cfg.TrustedProxies)
	e.HTTPErrorHandler = s.handleError
	s.echo = e
	if s.views, err = parseTemplates(views.FS, s.templateFuncs()); err != nil {
		return nil, err
	}

	e.Use(
		middleware.RequestID(),
		middleware.Metrics(s.routeName, s.metrics.ObserveRequest),
		middleware.RequestLog(s.log),
		middleware.ResponseTime(s.cfg.SlowRequest, s.log),
		middleware.APIVersion(apiPrefix, apiVersion),
		middleware.Degraded(apiPrefix, s.unhealthyConnections),
		middleware.Recover(s.log),
		middleware.SecureHeaders(),
		echomw.BodyLimit("2M"),
		echomw.GzipWithConfig(echomw.GzipConfig{Level: 5, MinLength: 1024, Skipper: skipGzip}),
		// Echo runs these after routing, so they know the route's name.
		s.authenticateBearer(),
		s.authenticate(),
		s.apiRateLimit(),
		s.authorize(),
		s.csrfProtect(),
	)
	s.routes()
	if err := s.indexRoutes(); err != nil {
		return nil, err
	}
	if err := s.metrics.Watch(s.metricSources()); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	s.channelPathPrefix = strings.TrimSuffix(e.Reverse(RouteChannel, "0"), "0")
	s.routeNames = map[string]bool{}
	for _, r := range e.Routes() {
		if r.Name != "" && !strings.HasPrefix(r.Name, "micboard/") {
			s.routeNames[r.Name] = true
		}
	}

	t := d.Timeouts.orDefaults()
	s.http = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		ConnContext:       withConn,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// ipExtractor finds the client's address: the peer's, unless the peer is a
// trusted proxy, whose X-Forwarded-For is then believed. Nothing is trusted
// by default (not even loopback or private networks), since anyone on them
// could otherwise claim any address.
func ipExtractor(proxies []*net.IPNet) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range proxies {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// trustedProxy reports a peer listed in MICBOARD_TRUSTED_PROXIES.
func (s *Server) trustedProxy(ip net.IP) bool {
	for _, n := range s.cfg.TrustedProxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// skipGzip leaves event streams (flushed event by event) and range
// requests alone; the API's stream is one whatever the client accepts.
func skipGzip(c echo.Context) bool {
	r := c.Request()
	return strings.Contains(r.Header.Get(echo.HeaderAccept), "text/event-stream") || r.Header.Get("Range") != "" ||
		c.Path() == apiBase+"/board/events"
}

// Handler returns the HTTP handler, for httptest.
func (s *Server) Handler() http.Handler { return s.echo }

// Stopping is closed when shutdown begins; long-lived responses (SSE
// streams) return on it so shutdown does not wait for them.
func (s *Server) Stopping() <-chan struct{} { return s.stopping }

// Start listens on Config.Listen and serves until ctx ends, then shuts down
// gracefully.
func (s *Server) Start(ctx context.Context) error {
	ln, err := Listen(ctx, s.cfg.Listen)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Listen opens the TCP listener for addr, so a busy port is reported
// before anything else starts.
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully:
// no new connections, and in-flight requests get shutdownGrace to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.cfg.MaxConnsPerClient > 0 {
		ln = LimitPerClient(ln, s.cfg.MaxConnsPerClient, s.trustedProxy)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := s.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = fmt.Errorf("serve http: %w", serr)
	}
	return err
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stopping) })
	if err := s.http.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down http server: %w", err)
	}
	return nil
}

// Metrics is the server's service-call and request collector, which the
// monitor reports to as well, so one table shows every service call.
func (s *Server) Metrics() *metrics.Collector { return s.metrics }
