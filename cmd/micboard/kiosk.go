package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

const kioskUsage = `Usage:
  micboard kiosk add NAME [--view QUERY] [--columns N] [--size s|m|l] [--meters rf,audio|rf|audio|none] [--heartbeat 30s] [--base-url URL]
  micboard kiosk list
  micboard kiosk revoke NAME|ID

A kiosk is a wall display: a secret URL that shows the board full screen,
read-only, without a login. add prints the URL once; keep it. --view is a
board view as in the board's address bar, e.g. "loc=2&status=attention" or
"group=1".
`

// kioskCmd handles `micboard kiosk add|list|revoke`.
func kioskCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, kioskUsage)
		return errors.New("kiosk: want a subcommand: add, list or revoke")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "add", "list", "revoke":
	case "-h", "--help", "help":
		fmt.Fprint(stdout, kioskUsage)
		return nil
	default:
		return fmt.Errorf("kiosk: unknown subcommand %q: want add, list or revoke", sub)
	}
	var in service.KioskInput
	var meters, baseURL string
	fs := flag.NewFlagSet("kiosk "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&in.ViewQuery, "view", "", "")
	fs.IntVar(&in.Columns, "columns", 0, "")
	size := fs.String("size", "l", "")
	fs.StringVar(&meters, "meters", "rf,audio", "")
	fs.DurationVar(&in.Heartbeat, "heartbeat", 30*time.Second, "")
	fs.StringVar(&baseURL, "base-url", "", "")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return fmt.Errorf("kiosk %s: %w", sub, err)
	}
	in.TileSize = model.TileSize(*size)
	for _, m := range strings.Split(meters, ",") {
		switch strings.TrimSpace(m) {
		case "rf":
			in.ShowRF = true
		case "audio":
			in.ShowAudio = true
		case "none", "":
		default:
			return fmt.Errorf("kiosk %s: --meters %q: want rf, audio, both (rf,audio) or none", sub, meters)
		}
	}

	if baseURL != "" {
		if u, err := url.Parse(baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("kiosk %s: --base-url %q: want http://host[:port] or https://host[:port]", sub, baseURL)
		}
	}

	cfg, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	st := store.New(bdb)
	ks := service.NewKiosks(st)

	switch sub {
	case "add":
		if len(pos) != 1 {
			return errors.New("kiosk add: want one NAME (quote a name with spaces)")
		}
		in.Name = pos[0]
		var k *model.Kiosk
		var token string
		err := service.Audited(ctx, st, service.CLI, func(tx *store.Store) (service.Change, error) {
			var err error
			if k, token, err = service.NewKiosks(tx).Create(ctx, in); err != nil {
				return service.Change{}, err
			}
			return service.Change{Action: "kiosk.create", ObjectKind: "kiosk", ObjectIDs: []int64{k.ID},
				Summary: fmt.Sprintf("created display %q showing %s", k.Name, orDefault(k.ViewQuery, "the whole board"))}, nil
		})
		if err != nil {
			return fmt.Errorf("kiosk add: %w", err)
		}
		if baseURL == "" {
			baseURL = defaultBaseURL(cfg.Listen)
		}
		fmt.Fprintf(stdout, "kiosk %d %q created; open this URL on the display (it is shown only now):\n%s/kiosk/%s\n",
			k.ID, k.Name, strings.TrimRight(baseURL, "/"), token)
	case "list":
		list, err := ks.List(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tVIEW\tSTATE\tLAST SEEN\tFROM")
		now := time.Now()
		for _, k := range list {
			seen := "never"
			if k.LastSeenAt != nil {
				seen = now.Sub(*k.LastSeenAt).Round(time.Second).String() + " ago"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, orDefault(k.ViewQuery, "(whole board)"), kioskState(k, now), seen, orDefault(k.LastSeenAddr, "-"))
		}
		return w.Flush()
	case "revoke":
		if len(pos) != 1 {
			return errors.New("kiosk revoke: want one NAME or ID")
		}
		var k *model.Kiosk
		err := service.Audited(ctx, st, service.CLI, func(tx *store.Store) (service.Change, error) {
			var err error
			if k, err = service.NewKiosks(tx).Revoke(ctx, pos[0]); err != nil {
				return service.Change{}, err
			}
			return service.Change{Action: "kiosk.revoke", ObjectKind: "kiosk", ObjectIDs: []int64{k.ID},
				Summary: fmt.Sprintf("display %q: active → revoked", k.Name)}, nil
		})
		if err != nil {
			return fmt.Errorf("kiosk revoke: %w", err)
		}
		fmt.Fprintf(stdout, "kiosk %d %q revoked; its display now says so\n", k.ID, k.Name)
	}
	return nil
}

func kioskState(k *model.Kiosk, now time.Time) string {
	switch {
	case k.RevokedAt != nil:
		return "revoked"
	case service.Alive(k, now):
		return "alive"
	case k.LastSeenAt == nil:
		return "never seen"
	}
	return "silent"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// defaultBaseURL guesses how displays reach this server from MICBOARD_LISTEN.
func defaultBaseURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://localhost:8058"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
