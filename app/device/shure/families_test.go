package shure_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"micboard/app/device"
	"micboard/app/device/shure"
	"micboard/app/device/sim"
)

// The simulator plays each family as the public references describe it
// (see sim/shure_models.go), so these tests check the driver against the
// references rather than against itself.
func TestIdentifyEveryFamilyFromTheSimulator(t *testing.T) {
	tests := []struct {
		code     string
		model    string // what Identify reports (inferred where the device is silent)
		family   string
		kind     device.Kind
		channels int
	}{
		// ULX-D and QLX-D never answer MODEL: the model is inferred from
		// the channels that answer and the transmitters they report.
		{"ulxd4q", "ULXD4Q", "ulxd", device.KindReceiver, 4},
		{"ulxd4d", "ULXD4D", "ulxd", device.KindReceiver, 2},
		{"qlxd4", "QLXD4", "qlxd", device.KindReceiver, 1},
		{"ad4q", "AD4Q-A", "axtd", device.KindReceiver, 4},
		{"slxd4d", "SLXD4D", "slxd", device.KindReceiver, 2},
		// SLX-D+ answers GET 0 ALL with REP ERR: asked channel by channel.
		{"slxd4qplus", "SLXD4Q+", "slxd", device.KindReceiver, 4},
		// UHF-R: no TCP at all, `* ... *` over UDP; a UR4S has one receiver.
		{"ur4d", "UR4D", "uhfr", device.KindReceiver, 2},
		{"ur4s", "UR4S", "uhfr", device.KindReceiver, 1},
		// PSM1000: REPORT verb, DEVICE_NAME, an in-ear transmitter.
		{"p10t", "P10T", "p10t", device.KindIEMTransmitter, 2},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: tt.code, Name: "Rack A", Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = rx.Stop() })
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
			defer cancel()
			start := time.Now()
			got, err := device.Identify(ctx, device.VendorShure, "127.0.0.1", rx.Port())
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("identify took %v: it waited for something that never came", d)
			}
			if got.Model != device.Some(tt.model) || got.Family != device.Some(tt.family) ||
				got.Kind != device.Some(tt.kind) || got.ChannelCount != device.Some(tt.channels) {
				t.Errorf("model %v family %v kind %v channels %v; want %s %s %s %d",
					got.Model, got.Family, got.Kind, got.ChannelCount, tt.model, tt.family, tt.kind, tt.channels)
			}
			st := rx.State()
			for _, ch := range st.Channels {
				if c := got.Channels[ch.Channel]; c == nil || !c.Name.Known() {
					t.Errorf("channel %d: no name (%+v)", ch.Channel, c)
				}
			}
		})
	}
}

// A receiver that answers MODEL with a product name Micboard does not list
// is identified by what it does (its parameter names, its sample layout,
// the channels that answer), not refused over its name: it keeps the name
// it gave and gets its family and channel count.
func TestUnfamiliarModelIsIdentifiedByWhatItDoes(t *testing.T) {
	tests := []struct {
		code, product string
		family        string
		channels      int
	}{
		{"ad4q", "AD6Q-Z", "axtd", 4},          // TX_BATT_CHARGE_PERCENT, CHAN_QUALITY
		{"slxd4d", "Wireless RX 2", "slxd", 2}, // TX_MODEL SLXD2, three-field samples
	}
	for _, tt := range tests {
		t.Run(tt.product, func(t *testing.T) {
			rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: tt.code, Product: tt.product, Name: "Rack A",
				Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = rx.Stop() })
			if f := shure.FamilyOf(tt.product); f != shure.FamilyUnknown {
				t.Fatalf("FamilyOf(%q) = %v: the name must not give the family away", tt.product, f)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
			defer cancel()
			got, err := device.Identify(ctx, device.VendorShure, "127.0.0.1", rx.Port())
			if err != nil {
				t.Fatal(err)
			}
			if got.Model != device.Some(tt.product) || got.Family != device.Some(tt.family) ||
				got.Kind != device.Some(device.KindReceiver) || got.ChannelCount != device.Some(tt.channels) {
				t.Errorf("model %v family %v kind %v channels %v; want %q %s receiver %d",
					got.Model, got.Family, got.Kind, got.ChannelCount, tt.product, tt.family, tt.channels)
			}
		})
	}
}

// Watching a family: meters arrive in its own layout and become readings.
func TestWatchNewFamiliesFromTheSimulator(t *testing.T) {
	tests := []struct {
		code  string
		check func(c *device.ChannelReading) bool
	}{
		{"ur4d", func(c *device.ChannelReading) bool {
			return len(c.RFLevelDBm) == 2 && c.BatteryBars.Known() && c.AudioLevelDBFS.Known()
		}},
		{"p10t", func(c *device.ChannelReading) bool {
			return c.AudioLevelDBFS.Known() && c.AudioLevelRightDBFS.Known() && c.RFPowerMW == device.Some(50) && !c.BatteryBars.Set
		}},
		{"slxd4qplus", func(c *device.ChannelReading) bool {
			return len(c.RFLevelDBm) == 1 && c.AudioPeak.Set && c.BatteryBars.Set
		}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: tt.code, Name: "Rack A", ChannelNames: []string{"HH01 Ayo"},
				Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = rx.Stop() })
			drv, err := shure.New(device.Config{Host: "127.0.0.1", Port: rx.Port(), MeterRate: 100 * time.Millisecond,
				Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := drv.Dial(ctx); err != nil {
				t.Fatal(err)
			}
			var state device.Reading
			done := make(chan struct{})
			go func() {
				_ = drv.Run(ctx, func(r device.Reading) {
					state.Merge(r)
					if c := state.Channels[1]; c != nil && tt.check(c) && state.Name.Set {
						select {
						case <-done:
						default:
							close(done)
						}
					}
				})
			}()
			select {
			case <-done:
			case <-ctx.Done():
				t.Fatalf("never saw the expected channel 1; last state %+v", state.Channels[1])
			}
			_ = drv.Close()
		})
	}
}

// Renaming a UHF-R channel goes out as `* SET n CHAN_NAME a_b *` and comes
// back unprompted.
func TestUHFRRename(t *testing.T) {
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "ur4d", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rx.Stop() })
	drv, err := shure.New(device.Config{Host: "127.0.0.1", Port: rx.Port(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := drv.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	defer drv.Close()
	if err := drv.SetChannelName(ctx, 2, "BP07 Kai"); err != nil {
		t.Fatal(err)
	}
	for rx.State().Channels[1].Name != "BP07 Kai" {
		if ctx.Err() != nil {
			t.Fatalf("name never changed: %q", rx.State().Channels[1].Name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := drv.SetChannelName(ctx, 1, strconv.Itoa(1234567890123)); err == nil {
		t.Error("13 characters accepted on UHF-R (12 max)")
	}
}

// A receiver whose every answer is shared by several families (the
// simulator's unlisted2: names, TX_BATT_*, a 7-digit frequency, no meters)
// is identified as a generic Shure receiver with the model it said and the
// channels that answered, with a warning naming what it answered.
func TestUnlistedReceiverIsIdentifiedAsGeneric(t *testing.T) {
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "unlisted2", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rx.Stop() })
	var logs strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	got, err := device.IdentifyWith(ctx, device.VendorShure, device.Config{Host: "127.0.0.1", Port: rx.Port(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if got.Model != device.Some("SRX4D") || got.Family != device.Some(shure.GenericDeviceType) ||
		got.Kind != device.Some(device.KindReceiver) || got.ChannelCount != device.Some(2) {
		t.Errorf("model %v family %v kind %v channels %v", got.Model, got.Family, got.Kind, got.ChannelCount)
	}
	for ch, want := range rx.State().Channels {
		if c := got.Channels[ch+1]; c == nil || c.Name != device.Some(want.Name) || c.FrequencyKHz != device.Some(want.FrequencyKHz) {
			t.Errorf("channel %d = %+v, simulator %+v", ch+1, c, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if l := logs.String(); !strings.Contains(l, "matches no family") || !strings.Contains(l, "TX_BATT_BARS") || !strings.Contains(l, "model=SRX4D") {
		t.Errorf("warning: %q", l)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// A generic receiver that meters nothing keeps its link past LinkTimeout:
// it only talks when re-queried, so silence between refreshes is not a dead
// link. (A family that meters would be dropped after LinkTimeout.)
func TestGenericLinkLivesOnRefreshes(t *testing.T) {
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "unlisted2", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rx.Stop() })
	drv, err := shure.New(device.Config{Host: "127.0.0.1", Port: rx.Port(), LinkTimeout: 800 * time.Millisecond,
		RefreshInterval: 1500 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := drv.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	defer drv.Close()
	runCtx, stop := context.WithTimeout(ctx, 3*time.Second)
	defer stop()
	var mu sync.Mutex
	readings := 0
	err = drv.Run(runCtx, func(device.Reading) { mu.Lock(); readings++; mu.Unlock() })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run ended with %v before its context", err)
	}
	if drv.Family() != shure.FamilyGeneric || readings < 3 {
		t.Errorf("family %v, %d readings in 3 s", drv.Family(), readings)
	}
}
