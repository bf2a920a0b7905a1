package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

const webhookUsage = `Usage:
  micboard webhook add URL --secret-stdin|--secret S [--kinds battery_low,battery_critical,rf_loss,audio_low,rx_offline,tx_off]
  micboard webhook list
  micboard webhook remove ID

Each alert event (opened, acknowledged, resolved) is POSTed as JSON to every
active webhook that wants its kind (no --kinds: every kind), signed with
X-Micboard-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>.
With --secret-stdin the secret is read from standard input (unechoed on a
terminal, the first line when piped), so it never shows in a shell history
or a process list; --secret S is there for scripts and says so on standard
error. list never prints it. A running server picks changes up within 30 s. Every
change is recorded in the audit log as made by "cli".
`

// minWebhookSecret is the shortest secret accepted.
const minWebhookSecret = service.MinWebhookSecret

// webhookCmd handles `micboard webhook add|list|remove`.
func webhookCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, webhookUsage)
		return errors.New("webhook: want a subcommand: add, list or remove")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "add", "list", "remove":
	case "-h", "--help", "help":
		fmt.Fprint(stdout, webhookUsage)
		return nil
	default:
		return fmt.Errorf("webhook: unknown subcommand %q: want add, list or remove", sub)
	}
	fs := flag.NewFlagSet("webhook "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	secretStdin := fs.Bool("secret-stdin", false, "")
	secretFlag := fs.String("secret", "", "")
	kindsFlag := fs.String("kinds", "", "")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, webhookUsage)
		}
		return fmt.Errorf("webhook %s: %w", sub, err)
	}

	var hook *model.Webhook
	var removeID int64
	switch sub {
	case "add":
		if len(pos) != 1 {
			return errors.New("webhook add: want one URL")
		}
		if u, err := url.Parse(pos[0]); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("webhook add: %q: want an http:// or https:// URL", pos[0])
		}
		if *secretStdin == (*secretFlag != "") {
			return errors.New("webhook add: want --secret-stdin (the signing secret read from standard input) or --secret S, one of them")
		}
		kinds, err := parseKinds(*kindsFlag)
		if err != nil {
			return fmt.Errorf("webhook add: %w", err)
		}
		secret := *secretFlag
		if *secretStdin {
			if secret, err = readSecret(os.Stdin); err != nil {
				return fmt.Errorf("webhook add: %w", err)
			}
		}
		if len(secret) < minWebhookSecret {
			return fmt.Errorf("webhook add: the secret has %d characters; want at least %d", len(secret), minWebhookSecret)
		}
		if !*secretStdin {
			fmt.Fprintln(os.Stderr, "webhook add: a secret given as --secret shows in the shell history and the process list; --secret-stdin keeps it out")
		}
		hook = &model.Webhook{URL: pos[0], Secret: secret, Kinds: kinds, Active: true}
	case "list":
		if len(pos) != 0 {
			return fmt.Errorf("webhook list: unexpected argument %q", pos[0])
		}
	case "remove":
		if len(pos) != 1 {
			return errors.New("webhook remove: want one ID (micboard webhook list shows them)")
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil || id < 1 {
			return fmt.Errorf("webhook remove: %q: want the webhook's ID (micboard webhook list shows them)", pos[0])
		}
		removeID = id
	}
	if sub != "add" && (*secretStdin || *secretFlag != "" || *kindsFlag != "") {
		return fmt.Errorf("webhook %s: --secret-stdin, --secret and --kinds are only for add", sub)
	}

	_, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	st := store.New(bdb)

	switch sub {
	case "add":
		added, err := service.CreateWebhook(ctx, st, service.CLI, service.WebhookInput{URL: hook.URL, Secret: hook.Secret, Kinds: hook.Kinds})
		if err != nil {
			return fmt.Errorf("webhook %w", err)
		}
		fmt.Fprintf(stdout, "webhook %d added: %s gets %s\n", added.ID, added.URL, kindsText(added.Kinds))
	case "list":
		list, err := st.Webhooks.List(ctx, false)
		if err != nil {
			return fmt.Errorf("webhook list: %w", err)
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tURL\tKINDS\tSTATE")
		for _, h := range list {
			state := "active"
			if !h.Active {
				state = "removed"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", h.ID, h.URL, kindsText(h.Kinds), state)
		}
		return w.Flush()
	case "remove":
		gone, err := service.RemoveWebhook(ctx, st, service.CLI, removeID)
		if err != nil {
			return fmt.Errorf("webhook remove: %w", err)
		}
		fmt.Fprintf(stdout, "webhook %d (%s) removed; it gets no more alerts\n", removeID, gone.URL)
	}
	return nil
}

// parseKinds reads --kinds: alert kinds separated by commas; empty is all.
func parseKinds(s string) ([]model.AlertKind, error) {
	out := []model.AlertKind{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, k := range strings.Split(s, ",") {
		kind := model.AlertKind(strings.TrimSpace(k))
		if !kind.Valid() {
			return nil, fmt.Errorf("--kinds: %q is not an alert kind; want some of %s", kind, kindsText(model.AlertKinds))
		}
		out = append(out, kind)
	}
	return out, nil
}

func kindsText(kinds []model.AlertKind) string { return service.KindsText(kinds) }

// readSecret reads a secret unechoed from a terminal, else the first line
// of standard input.
func readSecret(f *os.File) (string, error) {
	if fd := int(f.Fd()); term.IsTerminal(fd) {
		fmt.Fprint(os.Stderr, "Webhook secret: ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", fmt.Errorf("read secret: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read secret from standard input: %w", err)
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return "", errors.New("--secret-stdin: no secret on standard input")
	}
	return line, nil
}
