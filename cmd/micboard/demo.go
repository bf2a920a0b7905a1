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

// demoModels make a small mixed fleet: 4 + 2 + 2 + 4 = 12 channels across
// Shure ULX-D, Axient Digital, SLX-D and Sennheiser EW-DX.
var demoModels = []string{"ulxd4q", "ad4d", "slxd4d", "ewdx4"}

// demoBasePort is fixed so a restarted demo finds its receivers again
// instead of registering new ones.
const demoBasePort = 42100

// startDemo runs the simulated fleet in-process on loopback, registers each
// receiver from its own answers and puts a performer on every channel.
func startDemo(ctx context.Context, st *store.Store, basePort int, log *slog.Logger) (*sim.Fleet, error) {
	fleet, err := sim.StartFleet(sim.FleetConfig{
		Receivers: len(demoModels), Models: demoModels, Host: "127.0.0.1", BasePort: basePort,
		Scenario: "show", Seed: 2026, Logger: log.With("component", "demo"),
	})
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
