package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"

	"micboard/app/device/sim"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/secret"
	"micboard/app/service"
	"micboard/app/store"
)

// demoModels are the simulator's demo fleet: one receiver of each family it
// plays (sim.DemoModels).
var demoModels = sim.DemoModels()

// demoBasePort is fixed so a restarted demo finds its receivers again
// instead of registering new ones.
const demoBasePort = 42100

// startDemo runs the simulated fleet in-process on loopback, registers each
// receiver from its own answers and puts a performer on every channel.
func startDemo(ctx context.Context, st *store.Store, basePort int, key *secret.Key, log *slog.Logger) (*sim.Fleet, error) {
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
		var opts monitor.RegisterOptions
		if ep.Protocol == "https" {
			// SSCv2 needs its password; the simulator's is no secret.
			opts.Password, opts.Key = sim.DefaultSSCv2Password, key
		}
		rx, err := monitor.RegisterWith(ctx, st, ep.Vendor, ep.Host, ep.Port, opts)
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

// demoKey is the key a demo seals its SSCv2 receiver's password with when
// MICBOARD_SECRET_KEY is not set. It lives as long as the process; each
// demo start stores the password anew under it.
func demoKey() (*secret.Key, error) {
	raw := make([]byte, secret.KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("demo secret key: %w", err)
	}
	return secret.NewKey(raw)
}
