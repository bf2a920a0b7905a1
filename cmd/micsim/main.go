// Command micsim runs a fleet of simulated wireless receivers on loopback
// sockets, each speaking its family's own protocol, so Micboard can be
// developed and demonstrated without hardware. `micsim --help` lists the
// model codes (--models) the simulator plays.
//
//	micsim --receivers 250 --models ulxd4q,ad4q,ewdx4 --base-port 20000 --scenario show --seed 1 --json fleet.json
//
// It prints one line per receiver (`vendor model host:port name`), then runs
// until SIGINT or SIGTERM and closes every socket. With --mdns ADDR it also
// answers DNS-SD browses for `_ssc._udp` there for its SSC receivers, so an
// mdns discovery task can find them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"micboard/app/device/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "micsim:", err)
		os.Exit(1)
	}
}

// run parses args, starts the fleet, prints it and blocks until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("micsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		receivers  = fs.Int("receivers", 8, "number of simulated receivers")
		models     = fs.String("models", "ulxd4q,ad4q,ewdx4", "comma-separated model codes, cycled: "+strings.Join(sim.ModelCodes(), ", "))
		basePort   = fs.Int("base-port", 20000, "port of the first receiver; receiver i uses base+i (TCP for Shure, UDP for Sennheiser); 0 picks free ports")
		scenario   = fs.String("scenario", sim.ScenarioShow, "scenario: "+strings.Join(sim.Scenarios(), ", "))
		seed       = fs.Uint64("seed", 1, "seed for names, values and events (same seed, same show)")
		jsonPath   = fs.String("json", "", "also write the receiver list as JSON to this file (for import)")
		host       = fs.String("host", sim.DefaultHost, "address to listen on")
		maxClients = fs.Int("max-clients", sim.DefaultMaxClients, "concurrent clients per Shure receiver")
		logLevel   = fs.String("log-level", "info", "log level: debug, info, warn, error")
		jitter     = fs.Float64("meter-jitter", 0, "dB each Shure meter sample's audio wobbles around its level (RF a third of it), as live audio does; 0 repeats the level")
		sscv2Pass  = fs.String("sscv2-password", sim.DefaultSSCv2Password, "third-party password (user api) of the SSCv2 models (ewdx4v2, ewdx2v2), which serve HTTPS")
		mdnsAddr   = fs.String("mdns", "", "answer DNS-SD queries for "+sim.SSCService+" (the SSC receivers) on this address, e.g. 127.0.0.1:5353 or the mDNS group 224.0.0.251:5353; empty: off")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	var codes []string
	for _, m := range strings.Split(*models, ",") {
		if m = strings.TrimSpace(m); m != "" {
			codes = append(codes, m)
		}
	}
	if len(codes) == 0 {
		return errors.New("--models names no model")
	}
	fleet, err := sim.StartFleet(sim.FleetConfig{
		Receivers: *receivers, Models: codes, Host: *host, BasePort: *basePort,
		Scenario: *scenario, Seed: *seed, MaxClients: *maxClients, MeterJitter: *jitter, Password: *sscv2Pass, MDNSAddr: *mdnsAddr, Logger: log,
	})
	if err != nil {
		return fmt.Errorf("start fleet: %w", err)
	}
	stopped := false
	defer func() {
		// Error paths below still close every socket.
		if !stopped {
			_ = fleet.Stop()
		}
	}()

	for _, ep := range fleet.Endpoints() {
		if _, err := fmt.Fprintf(stdout, "%s %s %s %s\n", ep.Vendor, ep.Code, ep.Addr(), ep.Name); err != nil {
			return fmt.Errorf("print fleet: %w", err)
		}
	}
	if *jsonPath != "" {
		if err := fleet.WriteJSONFile(*jsonPath); err != nil {
			return err
		}
	}
	if a := fleet.MDNSAddr(); a != "" {
		log.Info("answering mDNS queries", "service", sim.SSCService, "addr", a)
	}
	log.Info("micsim running", "receivers", *receivers, "scenario", *scenario, "seed", *seed)
	<-ctx.Done()
	log.Info("micsim stopping")
	stopped = true
	if err := fleet.Stop(); err != nil {
		return fmt.Errorf("stop fleet: %w", err)
	}
	log.Info("micsim stopped")
	return nil
}
