package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/store"
)

const meterRate = 250 * time.Millisecond

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type rig struct {
	st    *store.Store
	board *live.Board
	mgr   *monitor.Manager
	rxs   map[string]*sim.Receiver // by model code
	ids   map[string]int64
}

// startRig runs one simulated receiver per model code, registers each the way
// `micboard receiver add` does, and starts the real monitor on them.
func startRig(t *testing.T, codes ...string) *rig {
	t.Helper()
	ctx := context.Background()
	r := &rig{st: store.New(dbtest.New(t)), board: live.NewBoard(live.Options{}), rxs: map[string]*sim.Receiver{}, ids: map[string]int64{}}
	for i, code := range codes {
		rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: code, Seed: 7, Index: i, Logger: quiet})
		if err != nil {
			t.Fatalf("start %s: %v", code, err)
		}
		t.Cleanup(func() { rx.Stop() })
		ep := rx.Endpoint()
		reg, err := monitor.Register(ctx, r.st, ep.Vendor, ep.Host, ep.Port, nil)
		if err != nil {
			t.Fatalf("register %s: %v", code, err)
		}
		if len(reg.Channels) != ep.Channels {
			t.Fatalf("%s registered with %d channels, simulator has %d", code, len(reg.Channels), ep.Channels)
		}
		r.rxs[code], r.ids[code] = rx, reg.ID
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
	return r
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var last error
	for time.Since(start) < within {
		if last = cond(); last == nil {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, within, last)
	return 0
}

// matches compares every tile of a receiver with the simulator's state.
func (r *rig) matches(code string) error {
	want := r.rxs[code].State()
	for _, ch := range want.Channels {
		id, ok := r.board.ChannelID(r.ids[code], ch.Channel)
		if !ok {
			return fmt.Errorf("channel %d not on the board", ch.Channel)
		}
		tile, _ := r.board.Tile(id)
		if !tile.Online {
			return fmt.Errorf("channel %d offline", ch.Channel)
		}
		if tile.DeviceName != ch.Name {
			return fmt.Errorf("channel %d name %q, simulator %q", ch.Channel, tile.DeviceName, ch.Name)
		}
		if tile.FrequencyKHz == nil || *tile.FrequencyKHz != ch.FrequencyKHz {
			return fmt.Errorf("channel %d frequency %v, simulator %d", ch.Channel, tile.FrequencyKHz, ch.FrequencyKHz)
		}
		if !ch.TxOn {
			if tile.Battery.Known() {
				return fmt.Errorf("channel %d: transmitter off but battery %+v", ch.Channel, tile.Battery)
			}
			continue
		}
		switch {
		case tile.Battery.Bars != nil:
			if *tile.Battery.Bars != ch.BatteryBars {
				return fmt.Errorf("channel %d bars %d, simulator %d", ch.Channel, *tile.Battery.Bars, ch.BatteryBars)
			}
		case tile.Battery.Percent != nil:
			if *tile.Battery.Percent != ch.BatteryPercent {
				return fmt.Errorf("channel %d percent %d, simulator %d", ch.Channel, *tile.Battery.Percent, ch.BatteryPercent)
			}
		default:
			return fmt.Errorf("channel %d has no battery reading", ch.Channel)
		}
		if tile.TxModel != ch.TxModel {
			return fmt.Errorf("channel %d transmitter %q, simulator %q", ch.Channel, tile.TxModel, ch.TxModel)
		}
		if _, ok := tile.RFMax(); !ok {
			return fmt.Errorf("channel %d has no RF meter yet", ch.Channel)
		}
	}
	return nil
}

var allModels = []string{"ulxd4q", "ulxd4d", "qlxd4", "ad4q", "ad4d", "slxd4d", "ewdx4", "ewdx2"}

func TestBoardMatchesSimulatorForEveryModel(t *testing.T) {
	r := startRig(t, allModels...)
	for _, code := range allModels {
		eventually(t, 10*time.Second, code+" board matches simulator", func() error { return r.matches(code) })
	}
	// Changes made on the device reach the board without a reconnect.
	for _, code := range allModels {
		rx := r.rxs[code]
		if err := rx.SetTxOff(1, false); err != nil {
			t.Fatal(err)
		}
		if err := rx.SetBatteryBars(1, 1); err != nil {
			t.Fatal(err)
		}
		// One 25 kHz step, inside every model's band.
		f := rx.State().Channels[0].FrequencyKHz
		if err := rx.SetFrequency(1, f+25); err != nil {
			if err := rx.SetFrequency(1, f-25); err != nil {
				t.Fatalf("%s frequency: %v", code, err)
			}
		}
	}
	for _, code := range allModels {
		id, _ := r.board.ChannelID(r.ids[code], 1)
		// EW-DX pushes only subscribed meters and battery; its frequency is
		// re-read every 10 s.
		eventually(t, 12*time.Second, code+" drains to CRITICAL", func() error {
			tile, _ := r.board.Tile(id)
			if tile.Status != model.StatusCritical {
				return fmt.Errorf("status %s", tile.Status)
			}
			return r.matches(code)
		})
	}
	// The receiver is recorded online with a healthy connection.
	rxRow, err := r.st.Receivers.Get(context.Background(), r.ids["ad4q"])
	if err != nil {
		t.Fatal(err)
	}
	if !rxRow.Online || rxRow.Status != model.LifecycleOnline || rxRow.Connection.Status != model.ConnConnected {
		t.Fatalf("ad4q row: online=%v status=%s conn=%s", rxRow.Online, rxRow.Status, rxRow.Connection.Status)
	}
	// Shure command strings carry no serial number; model and firmware come
	// from the device's own answers.
	if rxRow.Model != "AD4Q-A" || rxRow.Firmware == "" || rxRow.DeviceType != model.TypeAXTD {
		t.Fatalf("ad4q facts: model=%q firmware=%q type=%q", rxRow.Model, rxRow.Firmware, rxRow.DeviceType)
	}
	ew, _ := r.st.Receivers.Get(context.Background(), r.ids["ewdx4"])
	if ew.Serial == "" || ew.Model != "EW-DX EM 4" {
		t.Fatalf("ewdx4 facts: serial=%q model=%q", ew.Serial, ew.Model)
	}
}

func TestDroppedLinkGoesOfflineAndRecovers(t *testing.T) {
	for _, code := range []string{"ulxd4q", "ewdx4"} {
		t.Run(code, func(t *testing.T) {
			r := startRig(t, code)
			rx, id := r.rxs[code], r.ids[code]
			eventually(t, 10*time.Second, "online", func() error { return r.matches(code) })

			rx.Drop(0)
			took := eventually(t, meterRate+5*time.Second+time.Second, "offline after drop", func() error {
				for _, tile := range r.board.Tiles() {
					if tile.Status != model.StatusRxOffline {
						return fmt.Errorf("tile %d is %s", tile.Number, tile.Status)
					}
				}
				row, err := r.st.Receivers.Get(context.Background(), id)
				if err != nil || row.Online || row.Connection.Status == model.ConnConnected {
					return fmt.Errorf("row online=%v conn=%v err=%v", row.Online, row.Connection.Status, err)
				}
				return nil
			})
			t.Logf("%s offline %s after the drop", code, took.Round(time.Millisecond))

			if err := rx.Restore(); err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, "back online", func() error { return r.matches(code) })
			row, _ := r.st.Receivers.Get(context.Background(), id)
			if row.Connection.ErrorCount < 1 {
				t.Fatalf("drop not counted: %+v", row.Connection)
			}
		})
	}
}

func TestGarbageAndStallNeverStopOtherReceivers(t *testing.T) {
	r := startRig(t, "ulxd4q", "ad4q", "slxd4d")
	for code := range r.rxs {
		eventually(t, 10*time.Second, code+" online", func() error { return r.matches(code) })
	}
	r.rxs["ulxd4q"].SendGarbage()
	r.rxs["ulxd4q"].SendGarbage()
	r.rxs["ad4q"].Stall(true)

	// The stalled receiver goes offline within meter interval + 5 s...
	eventually(t, meterRate+6*time.Second, "stalled ad4q offline", func() error {
		id, _ := r.board.ChannelID(r.ids["ad4q"], 1)
		if tile, _ := r.board.Tile(id); tile.Online {
			return fmt.Errorf("still online")
		}
		return nil
	})
	// ...while the others keep updating.
	for _, code := range []string{"ulxd4q", "slxd4d"} {
		if err := r.rxs[code].SetBatteryBars(2, 3); err != nil {
			t.Fatal(err)
		}
		r.rxs[code].SetTxOff(2, false)
		eventually(t, 5*time.Second, code+" keeps updating", func() error { return r.matches(code) })
	}
	r.rxs["ad4q"].Stall(false)
	eventually(t, 15*time.Second, "ad4q recovers after the stall", func() error { return r.matches("ad4q") })
}

func TestDeactivatedReceiverIsDroppedAndNewOnePickedUp(t *testing.T) {
	r := startRig(t, "qlxd4")
	ctx := context.Background()
	eventually(t, 10*time.Second, "online", func() error { return r.matches("qlxd4") })
	if r.mgr.Watching() != 1 {
		t.Fatalf("watching %d", r.mgr.Watching())
	}
	// A receiver added while running is picked up without a restart.
	extra, err := sim.StartReceiver(sim.ReceiverConfig{Model: "slxd4d", Seed: 9, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Stop()
	ep := extra.Endpoint()
	reg, err := monitor.Register(ctx, r.st, ep.Vendor, ep.Host, ep.Port, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.rxs["slxd4d"], r.ids["slxd4d"] = extra, reg.ID
	eventually(t, 10*time.Second, "new receiver watched", func() error { return r.matches("slxd4d") })

	// Deactivated: the supervisor stops and the tiles leave the board.
	r.st.Receivers.SetActive(ctx, false, r.ids["qlxd4"])
	eventually(t, 5*time.Second, "deactivated receiver dropped", func() error {
		if n := r.mgr.Watching(); n != 1 {
			return fmt.Errorf("watching %d", n)
		}
		if _, ok := r.board.ChannelID(r.ids["qlxd4"], 1); ok {
			return fmt.Errorf("still on the board")
		}
		return nil
	})
	eventually(t, 5*time.Second, "socket closed", func() error {
		if n := r.rxs["qlxd4"].Clients(); n != 0 {
			return fmt.Errorf("%d clients still connected", n)
		}
		return nil
	})
}

func TestRegisterUnreachableStoresNothing(t *testing.T) {
	st := store.New(dbtest.New(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A port with nothing listening on loopback.
	_, err := monitor.Register(ctx, st, "shure", "127.0.0.1", 1, nil)
	if err == nil {
		t.Fatal("registering a dead address succeeded")
	}
	n, _ := st.Receivers.Query().Count(ctx)
	if n != 0 {
		t.Fatalf("stored %d receivers", n)
	}
}

func TestSetChannelNameWritesTheDevice(t *testing.T) {
	r := startRig(t, "ad4d", "ewdx2")
	ctx := context.Background()
	for code := range r.rxs {
		eventually(t, 10*time.Second, code+" online", func() error { return r.matches(code) })
	}
	if err := r.mgr.SetChannelName(ctx, r.ids["ad4d"], 2, "HH09 New Name"); err != nil {
		t.Fatal(err)
	}
	if err := r.mgr.SetChannelName(ctx, r.ids["ewdx2"], 1, "BP07 Mo"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 12*time.Second, "names on the devices and the board", func() error {
		if got := r.rxs["ad4d"].State().Channels[1].Name; got != "HH09 New Name" {
			return fmt.Errorf("ad4d device has %q", got)
		}
		if got := r.rxs["ewdx2"].State().Channels[0].Name; got != "BP07 Mo" {
			return fmt.Errorf("ewdx2 device has %q", got)
		}
		return r.matches("ad4d")
	})
	id, _ := r.board.ChannelID(r.ids["ad4d"], 2)
	if tile, _ := r.board.Tile(id); tile.Slot != "HH09" || tile.Name != "New Name" {
		t.Fatalf("board shows %q %q", tile.Slot, tile.Name)
	}
	// A name the device cannot take is refused before it is sent.
	if err := r.mgr.SetChannelName(ctx, r.ids["ad4d"], 1, "bad {name}"); err == nil {
		t.Fatal("a name with braces was sent")
	}
	if err := r.mgr.SetChannelName(ctx, 99999, 1, "x"); !errors.Is(err, monitor.ErrNotWatching) {
		t.Fatalf("unknown receiver: %v", err)
	}
}
