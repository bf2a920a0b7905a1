package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

const tokenUsage = `Usage:
  micboard token add NAME --role viewer|operator|admin
  micboard token list
  micboard token revoke NAME

An API token lets a program call /api/v1 with a role and no login: it sends
"Authorization: Bearer <token>". add prints the token once; only its hash is
kept, so keep it. A revoked token fails from its next request. Every change
is recorded in the audit log as made by "cli".
`

// tokenCmd handles `micboard token add|list|revoke`.
func tokenCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, tokenUsage)
		return errors.New("token: want a subcommand: add, list or revoke")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "add", "list", "revoke":
	case "-h", "--help", "help":
		fmt.Fprint(stdout, tokenUsage)
		return nil
	default:
		return fmt.Errorf("token: unknown subcommand %q: want add, list or revoke", sub)
	}
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := fs.String("role", "", "")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, tokenUsage)
		}
		return fmt.Errorf("token %s: %w", sub, err)
	}
	switch {
	case sub == "add" && len(pos) != 1:
		return errors.New("token add: want one NAME (quote a name with spaces)")
	case sub == "add" && !model.Role(*role).Valid():
		return fmt.Errorf("token add: --role %q: want viewer, operator or admin", *role)
	case sub == "revoke" && len(pos) != 1:
		return errors.New("token revoke: want one NAME")
	case sub == "list" && len(pos) != 0:
		return errors.New("token list: takes no arguments")
	}

	_, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	ts := service.NewAPITokens(store.New(bdb))

	switch sub {
	case "add":
		t, secret, err := ts.Create(ctx, service.CLI, service.APITokenInput{Name: pos[0], Role: model.Role(*role)})
		if err != nil {
			return fmt.Errorf("token add: %w", err)
		}
		fmt.Fprintf(stdout, "token %q (%s) created; send it as \"Authorization: Bearer <token>\" (it is shown only now):\n%s\n", t.Name, t.Role, secret)
	case "list":
		list, err := ts.List(ctx)
		if err != nil {
			return fmt.Errorf("token list: %w", err)
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tROLE\tSTATE\tCREATED\tBY\tLAST USED")
		for _, t := range list {
			state := "active"
			if t.RevokedAt != nil {
				state = "revoked " + t.RevokedAt.Format(time.DateTime)
			}
			used := "never"
			if t.LastUsedAt != nil {
				used = t.LastUsedAt.Format(time.DateTime)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, state, t.CreatedAt.Format(time.DateTime), t.CreatedBy, used)
		}
		return w.Flush()
	case "revoke":
		t, err := ts.Revoke(ctx, service.CLI, pos[0])
		if err != nil {
			return fmt.Errorf("token revoke: %w", err)
		}
		fmt.Fprintf(stdout, "token %q revoked; it fails from its next request\n", t.Name)
	}
	return nil
}
