package monitor_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device/sennheiser"
	"micboard/app/device/sim"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/store"
)

// A Sennheiser receiver is registered by what it answers, never refused over
// its product name: an EW-DX that spells its product without the family
// prefix, or in a way Micboard does not list at all, registers with its
// channel count and is then watched like any other. Before the family
// table, both were refused ("is not a receiver model Micboard knows").
func TestRegisterSennheiserByWhatItAnswers(t *testing.T) {
	ctx := context.Background()
	r := &rig{st: store.New(dbtest.New(t)), board: live.NewBoard(live.Options{}), rxs: map[string]*sim.Receiver{}, ids: map[string]int64{}}
	for i, tt := range []struct {
		key, code, product, host string
		port                     int
		typ                      model.DeviceType
		channels                 int
	}{
		{key: "prefixless", code: "ewdx2", product: "EM 2 Dante", typ: model.TypeEWDX, channels: 2},
		{key: "unlisted", code: "ewdx4", product: "SSC Receiver X", typ: model.TypeEWDX, channels: 4},
		{key: "em6000", code: "em6000dante", typ: model.TypeEM6000, channels: 2},
		// An ew G4 has no product query and a fixed port: it is told apart
		// by the port it is added on.
		{key: "g4", code: "ewg4", host: "127.0.0.53", port: sennheiser.G4Port, typ: model.TypeEWG4, channels: 1},
	} {
		rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: tt.code, Product: tt.product, Host: tt.host, Port: tt.port,
			Seed: 11, Index: i, Logger: quiet})
		if err != nil {
			t.Fatalf("start %s: %v", tt.key, err)
		}
		t.Cleanup(func() { rx.Stop() })
		ep := rx.Endpoint()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		reg, err := monitor.Register(rctx, r.st, ep.Vendor, ep.Host, ep.Port, nil)
		cancel()
		if err != nil {
			t.Fatalf("register %s (%q): %v", tt.key, tt.product, err)
		}
		if reg.DeviceType != tt.typ || len(reg.Channels) != tt.channels {
			t.Fatalf("%s registered as %s with %d channels, want %s with %d", tt.key, reg.DeviceType, len(reg.Channels), tt.typ, tt.channels)
		}
		r.rxs[tt.key], r.ids[tt.key] = rx, reg.ID
	}
	if err := r.board.Load(ctx, r.st); err != nil {
		t.Fatal(err)
	}
	r.mgr = monitor.New(r.st, r.board, monitor.Options{
		MeterRate: meterRate, PollEvery: 200 * time.Millisecond, HeartbeatEvery: time.Second,
		BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second, Logger: quiet,
	})
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.mgr.Run(mctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	for key, rx := range r.rxs {
		eventually(t, 10*time.Second, key+" watched", func() error {
			for _, ch := range rx.State().Channels {
				id, ok := r.board.ChannelID(r.ids[key], ch.Channel)
				if !ok {
					return fmt.Errorf("channel %d not on the board", ch.Channel)
				}
				tile, _ := r.board.Tile(id)
				if !tile.Online || tile.DeviceName != ch.Name {
					return fmt.Errorf("channel %d online=%v name %q, simulator %q", ch.Channel, tile.Online, tile.DeviceName, ch.Name)
				}
			}
			return nil
		})
	}
}
