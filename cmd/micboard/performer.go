package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"micboard/app/service"
	"micboard/app/store"
)

const performerUsage = `Usage:
  micboard performer link NAME|ID [--base-url URL]
  micboard performer link NAME|ID --revoke

link prints a secret address, once, that shows only this performer's packs,
large and live, on a phone (390 px wide and up): open it from a QR code. No
login is needed: the address is the credential, so hand it only to the
performer or their A2. --revoke ends every link of the performer at once.
Both are recorded in the audit log as made by "cli".
`

// performerCmd handles `micboard performer link`.
func performerCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, performerUsage)
		return errors.New("performer: want a subcommand: link")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "link":
	case "-h", "--help", "help":
		fmt.Fprint(stdout, performerUsage)
		return nil
	default:
		return fmt.Errorf("performer: unknown subcommand %q: want link", sub)
	}
	fs := flag.NewFlagSet("performer link", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	revoke := fs.Bool("revoke", false, "")
	baseURL := fs.String("base-url", "", "")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, performerUsage)
		}
		return fmt.Errorf("performer link: %w", err)
	}
	if len(pos) != 1 {
		return errors.New("performer link: want one NAME or ID (quote a name with spaces)")
	}
	if *baseURL != "" {
		if u, err := url.Parse(*baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("performer link: --base-url %q: want http://host[:port] or https://host[:port]", *baseURL)
		}
	}

	cfg, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	st := store.New(bdb)

	if *revoke {
		p, n, err := service.RevokePerformerLinks(ctx, st, service.CLI, pos[0], time.Now())
		if err != nil {
			return fmt.Errorf("performer link --revoke: %w", notFoundSays(err, pos[0]))
		}
		fmt.Fprintf(stdout, "%d link(s) of performer %q revoked; an open page now says so\n", n, p.Name)
		return nil
	}
	p, token, err := service.CreatePerformerLink(ctx, st, service.CLI, pos[0])
	if err != nil {
		return fmt.Errorf("performer link: %w", notFoundSays(err, pos[0]))
	}
	if *baseURL == "" {
		*baseURL = defaultBaseURL(cfg.Listen)
	}
	fmt.Fprintf(stdout, "phone link for performer %q (it is shown only now; micboard performer link %q --revoke ends it):\n%s/p/%s\n",
		p.Name, p.Name, strings.TrimRight(*baseURL, "/"), token)
	return nil
}

// notFoundSays turns "no such row" into words about the performer asked for.
func notFoundSays(err error, name string) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no active performer %q", name)
	}
	return err
}
