package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

const userUsage = `Usage:
  micboard user add NAME --role viewer|operator|admin
  micboard user passwd NAME
  micboard user list
  micboard user disable NAME
  micboard user enable NAME
  micboard user alerts NAME [on [--email ADDRESS] | off] [--quiet HH:MM-HH:MM|off]
                       [--tz ZONE|instance] [--escalation N|off]

The password comes from MICBOARD_PASSWORD when it is set, otherwise from
standard input: typed twice, without echo, on a terminal; the first line
when piped. Changing a password or disabling a user ends their sessions at
once. alerts on sends the user every alert event by e-mail (MICBOARD_SMTP_URL
must be set); the first time it needs --email. --quiet 23:00-07:00 sets
quiet hours (overnight when the end comes first) in the user's --tz or the
instance's (MICBOARD_TIME_ZONE): warnings are not mailed to them then,
critical alerts still are. --escalation N makes the user the Nth contact a
critical alert goes to when nobody acknowledges it (one more contact each
MICBOARD_ALERT_ESCALATE_AFTER). Every change is recorded in the audit log
as made by "cli".
`

// userCmd handles `micboard user add|passwd|list|disable|enable`.
func userCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, userUsage)
		return errors.New("user: want a subcommand: add, passwd, list, disable or enable")
	}
	sub, args := args[0], args[1:]
	if sub == "alerts" {
		return userAlertsCmd(ctx, args, stdout)
	}
	switch sub {
	case "add", "passwd", "list", "disable", "enable":
	case "-h", "--help", "help":
		fmt.Fprint(stdout, userUsage)
		return nil
	default:
		return fmt.Errorf("user: unknown subcommand %q: want add, passwd, list, disable or enable", sub)
	}
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := fs.String("role", "", "")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, userUsage)
		}
		return fmt.Errorf("user %s: %w", sub, err)
	}
	wantNames := 1
	if sub == "list" {
		wantNames = 0
	}
	if len(pos) != wantNames {
		if wantNames == 0 {
			return fmt.Errorf("user list: unexpected argument %q", pos[0])
		}
		return fmt.Errorf("user %s: want one NAME", sub)
	}
	if sub == "add" && !model.Role(*role).Valid() {
		return fmt.Errorf("user add: --role %q: want viewer, operator or admin", *role)
	}
	if sub != "add" && *role != "" {
		return fmt.Errorf("user %s: --role is only for add (the admin console changes roles)", sub)
	}

	_, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	users := service.NewUsers(store.New(bdb))

	switch sub {
	case "add":
		pw, err := readPassword(stderr)
		if err != nil {
			return fmt.Errorf("user add: %w", err)
		}
		u, err := users.Create(ctx, service.CLI, service.UserInput{Username: pos[0], Password: pw, Role: model.Role(*role)})
		if err != nil {
			return fmt.Errorf("user add: %w", err)
		}
		fmt.Fprintf(stdout, "user %d %q added as %s; they log in at /login\n", u.ID, u.Username, u.Role)
	case "passwd":
		u, err := users.ByName(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("user passwd: %w", err)
		}
		pw, err := readPassword(stderr)
		if err != nil {
			return fmt.Errorf("user passwd: %w", err)
		}
		if err := users.SetPassword(ctx, service.CLI, u.ID, pw); err != nil {
			return fmt.Errorf("user passwd: %w", err)
		}
		fmt.Fprintf(stdout, "password of %q changed; their open sessions have ended\n", u.Username)
	case "disable", "enable":
		u, err := users.ByName(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("user %s: %w", sub, err)
		}
		if sub == "disable" {
			err = users.Disable(ctx, service.CLI, u.ID)
		} else {
			err = users.Enable(ctx, service.CLI, u.ID)
		}
		if err != nil {
			return fmt.Errorf("user %s: %w", sub, err)
		}
		fmt.Fprintf(stdout, "user %q %sd\n", u.Username, sub)
		if sub == "disable" {
			fmt.Fprintln(stdout, "their open sessions have ended")
		}
	case "list":
		list, err := users.List(ctx)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(stdout, "no users yet: micboard user add NAME --role admin (or open /login in a browser)")
			return nil
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tROLE\tSTATE\tLAST LOGIN")
		for _, u := range list {
			state, last := "active", "never"
			if !u.Active {
				state = "disabled"
			}
			if u.LastLoginAt != nil {
				last = u.LastLoginAt.Local().Format(time.DateTime)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.Role, state, last)
		}
		return w.Flush()
	}
	return nil
}

// readPassword takes the password from MICBOARD_PASSWORD, else from
// standard input: twice and unechoed on a terminal, the first line when
// piped.
func readPassword(stderr io.Writer) (string, error) {
	if pw, ok := os.LookupEnv("MICBOARD_PASSWORD"); ok {
		return pw, nil
	}
	fd := int(os.Stdin.Fd())
	if term.IsTerminal(fd) {
		fmt.Fprint(stderr, "Password: ")
		first, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stderr, "Password again: ")
		second, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password: set MICBOARD_PASSWORD or give it on standard input")
	}
	return line, nil
}
