package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/service"
	"micboard/app/store"
)

const discoverUsage = `Usage:
  micboard discover add NAME --kind manual|cidr|slp|mdns [--target HOST[:PORT]|CIDR] [--vendor {vendors}] [--every 1h]
  micboard discover run ID        run a task now and list what it found
  micboard discover list          tasks, and devices waiting for approval
  micboard discover approve ID    register a found device (asks it again for its channels)
  micboard discover reject ID     dismiss a found device

A running micboard runs due tasks by itself. CIDR ranges are limited to /22. slp listens for
Shure receivers announcing themselves, mdns asks for Sennheiser SSC receivers (_ssc._udp).
`

// discoverCmd handles `micboard discover ...`.
func discoverCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, withVendors(discoverUsage))
		if len(args) == 0 {
			return errors.New("discover: want a subcommand: add, run, list, approve or reject")
		}
		return nil
	}
	sub, args := args[0], args[1:]
	var err error
	fs := flag.NewFlagSet("discover "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var in service.TaskInput
	kind := fs.String("kind", "", "")
	fs.StringVar(&in.Target, "target", "", "")
	fs.StringVar(&in.Vendor, "vendor", "", "")
	every := fs.Duration("every", time.Hour, "")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return fmt.Errorf("discover %s: %w", sub, err)
	}
	in.Kind = model.DiscoveryKind(*kind)
	if in.IntervalSeconds, err = intervalSeconds(*every); err != nil {
		return fmt.Errorf("discover %s: --every %v: %w", sub, *every, err)
	}

	_, bdb, err := openConfigured(ctx)
	if err != nil {
		return err
	}
	defer bdb.Close()
	st := store.New(bdb)
	id := func() (int64, error) {
		if len(pos) != 1 {
			return 0, fmt.Errorf("discover %s: want one ID", sub)
		}
		n, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("discover %s: %q is not an id", sub, pos[0])
		}
		return n, nil
	}

	switch sub {
	case "add":
		if len(pos) != 1 {
			return errors.New("discover add: want one NAME")
		}
		in.Name = pos[0]
		var t *model.DiscoveryTask
		err := service.Audited(ctx, st, service.CLI, func(tx *store.Store) (service.Change, error) {
			var err error
			if t, err = service.NewDiscovery(tx).CreateTask(ctx, in); err != nil {
				return service.Change{}, err
			}
			return service.Change{Action: "discovery.task.create", ObjectKind: "discovery_task", ObjectIDs: []int64{t.ID},
				Summary: fmt.Sprintf("created task %q (%s %s)", t.Name, t.Kind, orDefault(t.Target, "-"))}, nil
		})
		if err != nil {
			return fmt.Errorf("discover add: %w", err)
		}
		fmt.Fprintf(stdout, "discovery task %d %q created (%s %s); run it now with: micboard discover run %d\n", t.ID, t.Name, t.Kind, t.Target, t.ID)
	case "run":
		n, err := id()
		if err != nil {
			return err
		}
		runErr := monitor.NewDiscoverer(st, monitor.DiscoveryOptions{}).RunTask(ctx, n)
		t, err := st.DiscoveryTasks.Get(ctx, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "task %d %q: %s, scanned %d, found %d\n", t.ID, t.Name, t.Status, t.Scanned, t.Found)
		if err := service.NewAudit(st).Record(ctx, service.CLI, service.Change{Action: "discovery.run", ObjectKind: "discovery_task",
			ObjectIDs: []int64{t.ID}, Summary: fmt.Sprintf("ran task %q: %s, scanned %d, found %d", t.Name, t.Status, t.Scanned, t.Found)}); err != nil {
			return err
		}
		if err := listFound(ctx, st, stdout); err != nil {
			return err
		}
		if runErr != nil {
			return fmt.Errorf("discover run: %w", runErr)
		}
	case "list":
		tasks, err := st.DiscoveryTasks.List(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tTASK\tKIND\tTARGET\tSTATUS\tSCANNED\tFOUND\tLAST RUN")
		for _, t := range tasks {
			last := "never"
			if t.LastRunAt != nil {
				last = t.LastRunAt.Local().Format("Jan 2 15:04")
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", t.ID, t.Name, t.Kind, orDefault(t.Target, "-"), t.Status, t.Scanned, t.Found, last)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return listFound(ctx, st, stdout)
	case "approve":
		n, err := id()
		if err != nil {
			return err
		}
		// Approving asks the device for its channels, so it is not held in
		// a transaction; the audit row follows once the receiver is stored.
		rx, err := monitor.ApproveDiscovered(ctx, st, n)
		if err != nil {
			return fmt.Errorf("discover approve: %w", err)
		}
		if err := service.NewAudit(st).Record(ctx, service.CLI, service.Change{Action: "discovery.approve", ObjectKind: "discovered_device",
			ObjectIDs: []int64{n}, Summary: fmt.Sprintf("approved %s:%d → receiver %d %q", rx.Host, rx.Port, rx.ID, rx.Name)}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "registered receiver %d: %s %q at %s:%d with %d channels\n", rx.ID, rx.Model, rx.Name, rx.Host, rx.Port, len(rx.Channels))
	case "reject":
		n, err := id()
		if err != nil {
			return err
		}
		err = service.Audited(ctx, st, service.CLI, func(tx *store.Store) (service.Change, error) {
			if err := service.NewDiscovery(tx).Reject(ctx, n); err != nil {
				return service.Change{}, err
			}
			return service.Change{Action: "discovery.reject", ObjectKind: "discovered_device", ObjectIDs: []int64{n},
				Summary: "found device: new → rejected"}, nil
		})
		if err != nil {
			return fmt.Errorf("discover reject: %w", err)
		}
		fmt.Fprintf(stdout, "found device %d rejected\n", n)
	default:
		return fmt.Errorf("discover: unknown subcommand %q: want add, run, list, approve or reject", sub)
	}
	return nil
}

// intervalSeconds turns --every into the task's interval. The service reads
// zero as "the default", so a duration that would round to zero seconds must
// be refused here rather than become an hourly task without a word.
func intervalSeconds(every time.Duration) (int, error) {
	if every%time.Second != 0 {
		return 0, errors.New("want whole seconds, such as 15m or 1h")
	}
	if every < time.Minute {
		return 0, errors.New("at least 1m: a network scan is not a heartbeat")
	}
	return int(every / time.Second), nil
}

func listFound(ctx context.Context, st *store.Store, stdout io.Writer) error {
	found, err := st.DiscoveredDevices.List(ctx, "")
	if err != nil {
		return err
	}
	if len(found) == 0 {
		fmt.Fprintln(stdout, "\nno devices found yet")
		return nil
	}
	fmt.Fprintln(stdout)
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tADDRESS\tMODEL\tNAME\tCHANNELS\tSTATE")
	for _, d := range found {
		fmt.Fprintf(w, "%d\t%s:%d\t%s\t%s\t%d\t%s\n", d.ID, d.Host, d.Port, orDefault(d.Model, "?"), orDefault(d.Name, "-"), d.Channels, d.State)
	}
	return w.Flush()
}
