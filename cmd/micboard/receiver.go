package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/service"
	"micboard/app/store"
)

const receiverUsage = `Usage: micboard receiver add HOST[:PORT] --vendor shure|sennheiser [--location NAME]

Asks the receiver for its model, name and channels and registers it; a
running micboard starts watching it within seconds. A receiver that does not
answer is an error and nothing is stored. PORT defaults to 2202 (Shure) or
45 (Sennheiser).
`

// receiverCmd handles `micboard receiver add`.
func receiverCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprint(stdout, receiverUsage)
		if len(args) == 0 {
			return errors.New("receiver: want a subcommand: add")
		}
		return fmt.Errorf("receiver: unknown subcommand %q: want add", args[0])
	}
	args = args[1:]
	fs := flag.NewFlagSet("receiver add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	vendor := fs.String("vendor", "", "shure or sennheiser")
	location := fs.String("location", "", "location name")
	// Accept the address before or after the flags.
	var addr string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		addr, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, receiverUsage)
		}
		return fmt.Errorf("receiver add: %w", err)
	}
	if addr == "" && fs.NArg() > 0 {
		addr = fs.Arg(0)
	}
	if addr == "" {
		return errors.New("receiver add: want HOST[:PORT]")
	}
	if *vendor != model.VendorShure && *vendor != model.VendorSennheiser {
		return errors.New("receiver add: --vendor must be shure or sennheiser")
	}
	host, port, err := service.ParseHostPort(addr, monitor.DefaultPort(*vendor))
	if err != nil {
		return fmt.Errorf("receiver add: %w", err)
	}
	_, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
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
	rx, err := monitor.Register(ctx, st, *vendor, host, port, locID)
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
	for _, ch := range rx.Channels {
		fmt.Fprintf(stdout, "  %d  %s\n", ch.Number, ch.Name)
	}
	return nil
}
