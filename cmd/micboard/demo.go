package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"micboard/app/device/sim"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/service"
	"micboard/app/store"
)

// demoModels make a mixed fleet with one receiver of each family Micboard
// finds by address alone: Shure ULX-D, Axient Digital, SLX-D, QLX-D,
// SLX-D+, UHF-R and a PSM1000 in-ear transmitter; Sennheiser EW-DX and
// Digital 6000. (An ew G4 is told apart by its fixed port, 53212, which a
// demo on loopback cannot promise.)
var demoModels = []string{"ulxd4q", "ad4d", "slxd4d", "ewdx4", "qlxd4", "slxd4qplus", "ur4d", "p10t", "em6000"}

// demoBasePort is fixed so a restarted demo finds its receivers again
// instead of registering new ones.
const demoBasePort = 42100

// startDemo runs the simulated fleet in-process on loopback, registers each
// receiver from its own answers and puts a performer on every channel.
func startDemo(ctx context.Context, st *store.Store, basePort int, log *slog.Logger) (*sim.Fleet, error) {
	cfg := sim.FleetConfig{
		Receivers: len(demoModels), Models: demoModels, Host: "127.0.0.1", BasePort: basePort,
		Scenario: "show", Seed: 2026, Logger: log.With("component", "demo"),
	}
	fleet, err := sim.StartFleet(cfg)
	if err != nil && basePort != 0 {
		// Another demo holds the ports: take free ones, so two demos can
		// run side by side (this one registers its receivers anew).
		log.Warn("demo ports taken; using free ports", "base", basePort, "err", err)
		cfg.BasePort = 0
		fleet, err = sim.StartFleet(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("start demo fleet: %w", err)
	}
	for _, ep := range fleet.Endpoints() {
		rx, err := monitor.Register(ctx, st, ep.Vendor, ep.Host, ep.Port, nil)
		if err != nil {
			fleet.Stop()
			return nil, fmt.Errorf("register demo receiver %s: %w", ep.Addr(), err)
		}
		if err := assignDemoPerformers(ctx, st, rx); err != nil {
			fleet.Stop()
			return nil, err
		}
	}
	log.Info("demo fleet running", "receivers", len(demoModels), "first", fleet.Endpoints()[0].Addr())
	return fleet, nil
}

// assignDemoPerformers names a performer after each channel ("HH01 Fatai"
// → Fatai) unless the channel already has one.
func assignDemoPerformers(ctx context.Context, st *store.Store, rx *model.Receiver) error {
	asg := service.NewAssignments(st)
	for _, ch := range rx.Channels {
		if _, err := st.Assignments.ActiveForChannel(ctx, ch.ID); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		_, name := model.SplitSlotName(ch.Name)
		if name == "" || name == "Spare" {
			continue
		}
		p := &model.Performer{Name: name, Active: true}
		if err := st.Performers.Create(ctx, p); err != nil {
			return fmt.Errorf("demo performer %q: %w", name, err)
		}
		if _, err := asg.Create(ctx, service.AssignmentInput{PerformerID: p.ID, ChannelID: ch.ID}); err != nil {
			return fmt.Errorf("demo assignment of %q: %w", name, err)
		}
	}
	return nil
}
