// Command micboard watches the wireless microphones of a live event and
// serves the board.
//
//	micboard [serve]   migrate the database, then serve the web app (default)
//	micboard migrate   create the database if missing and apply migrations
//	micboard user ...  add, list and disable accounts (micboard help lists every command)
//
// Settings come from MICBOARD_* environment variables; `micboard serve
// --help` lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/uptrace/bun"

	"micboard/app/cache"
	"micboard/app/config"
	"micboard/app/db"
	"micboard/app/server"
	"micboard/app/store"
	"micboard/app/web"
)

// version is set at build time: -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command and returns the exit code. A failure prints
// exactly one line on stderr ("micboard: ...") and returns 1.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		cmd = "help"
	}
	if cmd != "help" && helpAsked(args) {
		args = []string{"--help"}
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stdout, stderr)
	case "migrate":
		err = migrate(ctx, args, stdout)
	case "receiver":
		err = receiverCmd(ctx, args, stdout)
	case "kiosk":
		err = kioskCmd(ctx, args, stdout)
	case "group":
		err = groupCmd(ctx, args, stdout)
	case "location":
		err = locationCmd(ctx, args, stdout)
	case "discover":
		err = discoverCmd(ctx, args, stdout)
	case "user":
		err = userCmd(ctx, args, stdout, stderr)
	case "performer":
		err = performerCmd(ctx, args, stdout)
	case "webhook":
		err = webhookCmd(ctx, args, stdout)
	case "token":
		err = tokenCmd(ctx, args, stdout)
	case "channel":
		err = channelCmd(ctx, args, stdout)
	case "version":
		fmt.Fprintln(stdout, "micboard", version)
	case "help":
		fmt.Fprint(stdout, withVendors(usage))
		fmt.Fprint(stdout, "\n"+config.Usage())
	default:
		err = fmt.Errorf("unknown command %q: want serve, migrate, receiver, channel, location, kiosk, group, discover, user, performer, webhook or token (micboard help lists them)", cmd)
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case helpAsked(args):
		return 0 // the command printed its usage: what was asked
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return 130 // interrupted while starting
	default:
		fmt.Fprintln(stderr, "micboard: "+oneLine(err))
		return 1
	}
}

const usage = `Usage: micboard [command] [flags]

Commands:
  serve     migrate the database, then serve the web app (the default)
  migrate   create the database if it is missing and apply every migration
  receiver  add HOST[:PORT] --vendor {vendors} [--location NAME]: register a receiver
            list [--all]: the registered receivers, with their ids
  channel   list [--receiver ID]: channel ids (group set takes #ID)
  location  add NAME [--parent NAME] | list: buildings and rooms receivers stand in
  kiosk     add NAME [--view QUERY] | list | revoke NAME: wall displays
  group     set N NAME CHANNEL... | list | remove N: saved board groups (keys 1-9)
  discover  add | run ID | list | approve ID | reject ID: find receivers on the network
  user      add NAME --role viewer|operator|admin | passwd NAME | list | disable NAME | enable NAME | alerts NAME on|off: accounts
  performer link NAME [--revoke]: a performer's packs on a phone, by a secret link
  webhook   add URL --secret-stdin [--kinds K,...] | list | remove ID: alert webhooks
  token     add NAME --role viewer|operator|admin | list | revoke NAME: API tokens
  version   print the version
  help      show this help
`

// helpAsked reports arguments that ask for a command's usage anywhere
// (micboard kiosk revoke --help): the command is then asked with --help
// alone, prints its usage, subcommands included, and exits 0.
func helpAsked(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return true
		case "--":
			return false
		}
	}
	return false
}

// parseFlags parses a command's flags; -h prints the help to stdout. define
// may add flags before parsing.
func parseFlags(name, help string, args []string, stdout io.Writer, define ...func(*flag.FlagSet)) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are ours to print, on one line
	fs.Usage = func() {}
	for _, d := range define {
		d(fs)
	}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, help)
		fmt.Fprint(stdout, "\n"+config.Usage())
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))
	}
	return fs, nil
}

// serve migrates, then serves until SIGINT or SIGTERM. Everything that can
// fail at start (configuration, Redis, database, migrations, the port)
// is checked before the first log line, so a failure is one line on stderr.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var demo bool
	var demoPort int
	if _, err := parseFlags("serve", serveUsage, args, stdout, func(fs *flag.FlagSet) {
		fs.BoolVar(&demo, "demo", false, "")
		fs.IntVar(&demoPort, "demo-port", demoBasePort, "")
	}); err != nil {
		return err
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	c, err := cache.New(ctx, cfg.RedisURL, log)
	if err != nil {
		return err
	}
	defer c.Close()
	// serve migrates by design (see serveUsage), so like migrate it may
	// create the database.
	bdb, err := openCreating(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer bdb.Close()
	applied, err := db.Migrate(ctx, bdb)
	if err != nil {
		return err
	}
	ln, err := web.Listen(ctx, cfg.Listen)
	if err != nil && demo && !listenChosen() {
		// A demo beside another one: take a free port on the same host and
		// say which, rather than refuse to start.
		host, _, _ := net.SplitHostPort(cfg.Listen)
		ln, err = web.Listen(ctx, net.JoinHostPort(host, "0"))
	}
	if err != nil {
		return err
	}

	if len(applied) > 0 {
		log.Info("migrations applied", "migrations", strings.Join(applied, ","))
	}
	st := store.New(bdb)
	if demo {
		if cfg.SecretKey == nil {
			if cfg.SecretKey, err = demoKey(); err != nil {
				ln.Close()
				return err
			}
		}
		fleet, err := startDemo(ctx, st, demoPort, cfg.SecretKey, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer fleet.Stop()
	}
	srv, err := server.New(ctx, server.Options{Config: cfg, DB: bdb, Cache: c, Logger: log, Version: version})
	if err != nil {
		ln.Close()
		return err
	}

	// The address really served, on stdout, for people and scripts
	// (make run prints nothing of its own).
	fmt.Fprintf(stdout, "Micboard: %s\n", browseURL(ln.Addr()))
	log.Info("micboard serving", "url", browseURL(ln.Addr()), "version", version,
		"database", db.Redact(cfg.DatabaseURL), "cache", c.Kind(), "demo", demo)
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("micboard stopped")
	return nil
}

const serveUsage = `Usage: micboard serve [--demo]

Migrates the database, watches every active receiver and serves the web app
until SIGINT or SIGTERM.

  --demo             also run a simulated fleet (one receiver of each family
                     the simulator plays) on loopback and register it; when
                     its ports or :8058 are taken (another demo), it picks
                     free ones and prints the address it serves
  --demo-port PORT   first port of the demo fleet (default 42100; 0 picks free
                     ports, which registers new receivers on every start)
`

// migrate creates the database when it does not exist and applies every
// migration not yet applied.
func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	if _, err := parseFlags("migrate", "Usage: micboard migrate\n\nCreates the database if it is missing and applies every migration.\n", args, stdout); err != nil {
		return err
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	bdb, err := openCreating(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer bdb.Close()
	applied, err := db.Migrate(ctx, bdb)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
		return nil
	}
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	return nil
}

// openConfigured loads the configuration and opens its database, for the
// commands that work on the database alone. Only migrate and serve may
// create or change the schema; every other command refuses a database that
// is missing or not fully migrated, so a mistyped name never leaves an empty
// database behind.
func openConfigured(ctx context.Context) (config.Config, *bun.DB, error) {
	cfg, err := config.Load()
	if err != nil {
		return config.Config{}, nil, err
	}
	bdb, err := openExisting(ctx, cfg.DatabaseURL)
	if err != nil {
		return config.Config{}, nil, err
	}
	return cfg, bdb, nil
}

// openExisting opens a database that must already exist and be migrated.
func openExisting(ctx context.Context, dsn string) (*bun.DB, error) {
	name := db.Name(dsn)
	bdb, err := db.Open(ctx, dsn)
	if db.IsMissingDatabase(err) {
		return nil, fmt.Errorf("database %q does not exist on %s: run micboard migrate to create it, or check MICBOARD_DATABASE_URL",
			name, db.Redact(dsn))
	}
	if err != nil {
		return nil, err
	}
	if err := db.CheckMigrated(ctx, bdb); err != nil {
		bdb.Close()
		var nm *db.NotMigratedError
		if errors.As(err, &nm) {
			return nil, fmt.Errorf("database %q is not migrated (%s): run micboard migrate", name, nm.Detail())
		}
		return nil, err
	}
	return bdb, nil
}

// openCreating connects to the database, creating it first when the server
// says it does not exist; migrate and serve use it. Creating needs the
// right to connect to the server's "postgres" database, so it is tried only
// then.
func openCreating(ctx context.Context, dsn string) (*bun.DB, error) {
	bdb, err := db.Open(ctx, dsn)
	if err == nil || !db.IsMissingDatabase(err) {
		return bdb, err
	}
	if err := db.EnsureDatabase(ctx, dsn); err != nil {
		return nil, err
	}
	return db.Open(ctx, dsn)
}

// browseURL is the address to open in a browser: a wildcard listener is
// reached through localhost.
func browseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// listenChosen reports whether the listen address was set on purpose.
func listenChosen() bool {
	v, ok := os.LookupEnv("MICBOARD_LISTEN")
	return ok && strings.TrimSpace(v) != ""
}

// oneLine keeps an error on a single line of stderr.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// parseInterleaved parses flags given before, between or after the
// positional arguments ("token add NAME --role viewer") and returns the
// positional ones in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if args = fs.Args(); len(args) > 0 {
			pos, args = append(pos, args[0]), args[1:]
		}
	}
	return pos, nil
}
