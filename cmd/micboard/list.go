package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"

	"micboard/app/model"
	"micboard/app/store"
)

const receiverListUsage = `Usage: micboard receiver list [--all]

Lists the registered receivers: id, make and model, address, name, location,
whether it is watched (active) and answered last, and its channels. --all
includes inactive receivers.
`

const channelUsage = `Usage: micboard channel list [--receiver ID]

Lists every channel with its id, its receiver, number, slot, name and
frequency. micboard group set takes a channel by its id as #ID (or by its
slot); the board opens its panel at /channels/ID.
`

// receiverList handles `micboard receiver list`.
func receiverList(ctx context.Context, args []string, stdout io.Writer) error {
	all := false
	if _, err := parseFlags("receiver list", receiverListUsage, args, stdout, func(fs *flag.FlagSet) {
		fs.BoolVar(&all, "all", false, "include inactive receivers")
	}); err != nil {
		return err
	}
	_, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	q := store.New(bdb).Receivers.Query().WithRelations().WithChannels().OrderBy("id", false)
	if !all {
		q = q.Active()
	}
	rxs, err := q.List(ctx)
	if err != nil {
		return fmt.Errorf("receiver list: %w", err)
	}
	if len(rxs) == 0 {
		fmt.Fprintln(stdout, "no receivers: add one with micboard receiver add HOST --vendor VENDOR, or run micboard discover")
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tMAKE\tMODEL\tADDRESS\tNAME\tLOCATION\tACTIVE\tONLINE\tCHANNELS")
	for _, r := range rxs {
		maker, loc := "", "—"
		if r.Manufacturer != nil {
			maker = r.Manufacturer.Name
		}
		if r.Location != nil {
			loc = r.Location.Name
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s:%d\t%s\t%s\t%s\t%s\t%d\n", r.ID, printable(maker), printable(r.Model),
			printable(r.Host), r.Port, printable(orDash(r.Name)), printable(loc), yesNo(r.Active), yesNo(r.Online), len(r.Channels))
	}
	return w.Flush()
}

// channelCmd handles `micboard channel list`.
func channelCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, channelUsage)
		return errors.New("channel: want a subcommand: list")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, channelUsage)
		return nil
	case "list":
	default:
		return fmt.Errorf("channel: unknown subcommand %q: want list", sub)
	}
	var receiver int64
	if _, err := parseFlags("channel list", channelUsage, args, stdout, func(fs *flag.FlagSet) {
		fs.Int64Var(&receiver, "receiver", 0, "only this receiver's channels")
	}); err != nil {
		return err
	}
	_, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	q := store.New(bdb).Receivers.Query().WithChannels().OrderBy("id", false)
	if receiver != 0 {
		q = q.IDs(receiver)
	}
	rxs, err := q.List(ctx)
	if err != nil {
		return fmt.Errorf("channel list: %w", err)
	}
	if receiver != 0 && len(rxs) == 0 {
		return fmt.Errorf("channel list: there is no receiver %d (micboard receiver list shows them)", receiver)
	}
	n := 0
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tRECEIVER\tCH\tSLOT\tNAME\tFREQUENCY")
	for _, r := range rxs {
		for _, c := range r.Channels {
			slot, name := model.SplitSlotName(c.DisplayName())
			freq := "—"
			if c.FrequencyKHz != nil {
				freq = fmt.Sprintf("%d.%03d MHz", *c.FrequencyKHz/1000, *c.FrequencyKHz%1000)
			}
			fmt.Fprintf(w, "%d\t%s\t%d\t%s\t%s\t%s\n", c.ID, printable(orDash(r.Name)+" ("+fmt.Sprint(r.ID)+")"), c.Number,
				printable(orDash(slot)), printable(orDash(name)), freq)
			n++
		}
	}
	if n == 0 {
		fmt.Fprintln(stdout, "no channels: add a receiver with micboard receiver add HOST --vendor VENDOR")
		return nil
	}
	return w.Flush()
}

// printable keeps a device's text from moving the terminal's cursor or
// breaking the columns: control characters and tabs become spaces.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\t' {
			return ' '
		}
		return r
	}, s)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
