package monitor_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device/shure"
	"micboard/app/device/sim"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/store"
)

// lockedBuffer is a log sink the monitor's goroutines may write to while
// the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// An unknown model of a known vendor is registered with its channel count,
// not refused: a Shure receiver answering MODEL with a name Micboard does
// not list gets the family its parameters show, and one whose parameters
// show no family at all registers as a generic Shure receiver with the
// channels that answered, watched with a warning that names what it
// answered. Each is then watched like any other: its tiles come online
// with the names, frequencies and batteries the receiver reports. Before
// the generic type, the last was refused ("is not a receiver model
// Micboard knows").
func TestRegisterShureByWhatItAnswers(t *testing.T) {
	ctx := context.Background()
	r := &rig{st: store.New(dbtest.New(t)), board: live.NewBoard(live.Options{}), rxs: map[string]*sim.Receiver{}, ids: map[string]int64{}}
	for i, tt := range []struct {
		key, code, product string
		typ                model.DeviceType
		model              string
		channels           int
	}{
		// TX_BATT_CHARGE_PERCENT and CHAN_QUALITY say Axient Digital.
		{key: "unfamiliar model", code: "ad4q", product: "AD6Q-Z", typ: "axtd", model: "AD6Q-Z", channels: 4},
		// Nothing it answers belongs to one family.
		{key: "no family", code: "unlisted2", typ: shure.GenericDeviceType, model: "SRX4D", channels: 2},
	} {
		rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: tt.code, Product: tt.product, Seed: 13, Index: i, Logger: quiet})
		if err != nil {
			t.Fatalf("start %s: %v", tt.key, err)
		}
		t.Cleanup(func() { rx.Stop() })
		ep := rx.Endpoint()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		reg, err := monitor.Register(rctx, r.st, ep.Vendor, ep.Host, ep.Port, nil)
		cancel()
		if err != nil {
			t.Fatalf("register %s: %v", tt.key, err)
		}
		if reg.DeviceType != tt.typ || reg.Model != tt.model || len(reg.Channels) != tt.channels {
			t.Fatalf("%s registered as %s %q with %d channels, want %s %q with %d",
				tt.key, reg.DeviceType, reg.Model, len(reg.Channels), tt.typ, tt.model, tt.channels)
		}
		r.rxs[tt.key], r.ids[tt.key] = rx, reg.ID
	}
	if err := r.board.Load(ctx, r.st); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	r.mgr = monitor.New(r.st, r.board, monitor.Options{
		MeterRate: meterRate, PollEvery: 200 * time.Millisecond, HeartbeatEvery: time.Second,
		BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
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
				switch {
				case !tile.Online:
					return fmt.Errorf("channel %d offline", ch.Channel)
				case tile.DeviceName != ch.Name:
					return fmt.Errorf("channel %d name %q, simulator %q", ch.Channel, tile.DeviceName, ch.Name)
				case tile.FrequencyKHz == nil || *tile.FrequencyKHz != ch.FrequencyKHz:
					return fmt.Errorf("channel %d frequency %v, simulator %d", ch.Channel, tile.FrequencyKHz, ch.FrequencyKHz)
				case ch.TxOn && (tile.Battery.Bars == nil || *tile.Battery.Bars != ch.BatteryBars):
					return fmt.Errorf("channel %d bars %v, simulator %d", ch.Channel, tile.Battery.Bars, ch.BatteryBars)
				}
			}
			return nil
		})
	}
	// The generic receiver's warning names what it is and what it answered.
	eventually(t, 5*time.Second, "generic warning", func() error {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "level=WARN") && strings.Contains(line, "matches no family") &&
				strings.Contains(line, "model=SRX4D") && strings.Contains(line, "channels=2") &&
				strings.Contains(line, "TX_BATT_BARS") && strings.Contains(line, "CHAN_NAME") {
				return nil
			}
		}
		return fmt.Errorf("no such warning in %q", logs.String())
	})
	// A name change on the generic receiver reaches its tile: it is read,
	// not only registered.
	rx := r.rxs["no family"]
	if err := rx.SetName(2, "BP09 Kai"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "renamed channel", func() error {
		id, _ := r.board.ChannelID(r.ids["no family"], 2)
		if tile, _ := r.board.Tile(id); tile.DeviceName != "BP09 Kai" || !tile.Online {
			return fmt.Errorf("tile %q online=%v", tile.DeviceName, tile.Online)
		}
		return nil
	})
}
