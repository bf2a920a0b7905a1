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
	"time"

	"golang.org/x/term"

	"micboard/app/device"
	"micboard/app/monitor"
	"micboard/app/service"
	"micboard/app/store"
)

const receiverUsage = `Usage: micboard receiver add HOST[:PORT] --vendor {vendors} [--location NAME] [--password-stdin]

Asks the receiver for its model, name and channels and registers it; a
running micboard starts watching it within seconds. A receiver that does not
answer is an error and nothing is stored. PORT defaults to {ports}.

--password-stdin  a Sennheiser EW-DX on firmware 4 or later (SSCv2, HTTPS,
                  port 443 by default): read the third-party password of
                  user "api" from standard input (unechoed on a terminal).
                  It is tried on the receiver, then stored encrypted under
                  MICBOARD_SECRET_KEY (required) and never shown again; the
                  receiver's certificate is pinned. Run again to change it.
`

// receiverCmd handles `micboard receiver add`.
func receiverCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "list" {
		return receiverList(ctx, args[1:], stdout)
	}
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprint(stdout, withVendors(receiverUsage))
		if len(args) == 0 {
			return errors.New("receiver: want a subcommand: add")
		}
		return fmt.Errorf("receiver: unknown subcommand %q: want add", args[0])
	}
	args = args[1:]
	fs := flag.NewFlagSet("receiver add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	vendor := fs.String("vendor", "", withVendors("{vendors}"))
	location := fs.String("location", "", "location name")
	passwordStdin := fs.Bool("password-stdin", false, "read the receiver's SSCv2 password (user api) from standard input")
	// Accept the address before or after the flags.
	var addr string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		addr, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, withVendors(receiverUsage))
		}
		return fmt.Errorf("receiver add: %w", err)
	}
	if addr == "" && fs.NArg() > 0 {
		addr = fs.Arg(0)
	}
	if addr == "" {
		return errors.New("receiver add: want HOST[:PORT]")
	}
	v, ok := device.LookupVendor(*vendor)
	if !ok {
		return errors.New(withVendors("receiver add: --vendor must be one of {vendors}"))
	}
	defPort := v.DefaultPort
	if *passwordStdin {
		if v.LoginPort == 0 {
			return fmt.Errorf("receiver add: --password-stdin: %w: only %s receivers log in", monitor.ErrPasswordVendor, loginVendors())
		}
		defPort = v.LoginPort
	}
	host, port, err := service.ParseHostPort(addr, defPort)
	if err != nil {
		return fmt.Errorf("receiver add: %w", err)
	}
	cfg, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	var password string
	if *passwordStdin {
		// Checked before reading, so nobody types a password for nothing.
		if cfg.SecretKey == nil {
			return errors.New("receiver add: refusing to store a receiver password without MICBOARD_SECRET_KEY: " +
				"set it to 32 random bytes in base64 or hex (openssl rand -base64 32) and keep it: it is needed to read the password back")
		}
		if password, err = readReceiverPassword(os.Stdin); err != nil {
			return fmt.Errorf("receiver add: %w", err)
		}
	}
	st := store.New(bdb)
	var locID *int64
	if *location != "" {
		loc, err := st.Locations.ByName(ctx, *location)
		if err != nil {
			return fmt.Errorf("receiver add: location %q: %w", *location, err)
		}
		locID = &loc.ID
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rx, err := monitor.RegisterWith(ctx, st, *vendor, host, port, monitor.RegisterOptions{LocationID: locID, Password: password, Key: cfg.SecretKey})
	if err != nil {
		return fmt.Errorf("receiver add: %w", err)
	}
	// Registering asks the receiver first, so it is not held in a
	// transaction; the audit row follows once the receiver is stored.
	if err := service.NewAudit(st).Record(ctx, service.CLI, service.Change{Action: "receiver.register", ObjectKind: "receiver",
		ObjectIDs: []int64{rx.ID}, Summary: fmt.Sprintf("registered %s %q at %s:%d with %d channels", rx.Model, rx.Name, rx.Host, rx.Port, len(rx.Channels))}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "registered receiver %d: %s %q at %s:%d with %d channels\n", rx.ID, rx.Model, rx.Name, rx.Host, rx.Port, len(rx.Channels))
	if password != "" {
		fmt.Fprintln(stdout, "  password stored encrypted; the receiver's certificate is pinned")
	}
	for _, ch := range rx.Channels {
		fmt.Fprintf(stdout, "  %d  %s\n", ch.Number, ch.Name)
	}
	return nil
}

// readReceiverPassword reads the receiver's password: unechoed from a
// terminal, else the first line of standard input (as `docker login
// --password-stdin` does), so it never appears in a shell history or a
// process list.
func readReceiverPassword(f *os.File) (string, error) {
	if fd := int(f.Fd()); term.IsTerminal(fd) {
		fmt.Fprint(os.Stderr, "Receiver password (user api): ")
		pw, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(pw), nil
	}
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("--password-stdin: no password on standard input")
	}
	return line, nil
}
