package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

const locationUsage = `Usage:
  micboard location add NAME [--parent NAME] [--description TEXT]
  micboard location list

Locations are buildings and rooms receivers stand in; receiver add --location
NAME and the board's ?loc= use them.
`

// locationCmd handles `micboard location add|list`.
func locationCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, locationUsage)
		return errors.New("location: want a subcommand: add or list")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, locationUsage)
		return nil
	case "add", "list":
	default:
		return fmt.Errorf("location: unknown subcommand %q: want add or list", sub)
	}
	fs := flag.NewFlagSet("location "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	parent := fs.String("parent", "", "the location this one is inside")
	description := fs.String("description", "", "a description")
	var name string
	if sub == "add" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, locationUsage)
		}
		return fmt.Errorf("location %s: %w", sub, err)
	}
	if sub == "add" && name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if sub == "add" && strings.TrimSpace(name) == "" {
		return errors.New("location add: want the location's NAME")
	}
	_, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	st := store.New(bdb)
	if sub == "list" {
		return listLocations(ctx, st, stdout)
	}
	var l *model.Location
	err = service.Audited(ctx, st, service.CLI, func(tx *store.Store) (service.Change, error) {
		in := service.LocationInput{Name: name, Description: *description}
		under := ""
		if *parent != "" {
			p, err := tx.Locations.ByName(ctx, *parent)
			if errors.Is(err, store.ErrNotFound) {
				return service.Change{}, fmt.Errorf("there is no location %q: add it first", *parent)
			}
			if err != nil {
				return service.Change{}, err
			}
			in.ParentID, under = &p.ID, fmt.Sprintf(" under %q", p.Name)
		}
		if _, err := tx.Locations.ByName(ctx, strings.TrimSpace(name)); err == nil {
			return service.Change{}, fmt.Errorf("a location called %q exists already", strings.TrimSpace(name))
		}
		var err error
		if l, err = service.NewLocations(tx).Create(ctx, in); err != nil {
			return service.Change{}, err
		}
		return service.Change{Action: "location.create", ObjectKind: "location", ObjectIDs: []int64{l.ID},
			Summary: fmt.Sprintf("created location %q%s", l.Name, under)}, nil
	})
	if err != nil {
		return fmt.Errorf("location add: %w", err)
	}
	fmt.Fprintf(stdout, "location %d %q added\n", l.ID, l.Name)
	return nil
}

// listLocations prints the tree: one location a line, rooms indented
// under their building, with the receivers in each.
func listLocations(ctx context.Context, st *store.Store, stdout io.Writer) error {
	all, err := st.Locations.Query().WithDeviceCounts().List(ctx)
	if err != nil {
		return err
	}
	children := map[int64][]*model.Location{}
	known := map[int64]bool{}
	for _, l := range all {
		known[l.ID] = true
	}
	var roots []*model.Location
	for _, l := range all {
		if l.ParentID != nil && known[*l.ParentID] {
			children[*l.ParentID] = append(children[*l.ParentID], l)
		} else {
			roots = append(roots, l)
		}
	}
	if len(all) == 0 {
		fmt.Fprintln(stdout, "no locations: add one with micboard location add NAME")
		return nil
	}
	var walk func(l *model.Location, depth int)
	walk = func(l *model.Location, depth int) {
		fmt.Fprintf(stdout, "%4d  %s%s  (%d receivers)\n", l.ID, strings.Repeat("  ", depth), l.Name, l.DeviceCount)
		if depth < 32 {
			for _, c := range children[l.ID] {
				walk(c, depth+1)
			}
		}
	}
	for _, l := range roots {
		walk(l, 0)
	}
	return nil
}
