package alert_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"micboard/app/alert"
	"micboard/app/device"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/store/storetest"
)

// kinds collects the battery alerts open per channel as the engine
// publishes them.
type kinds struct {
	mu   sync.Mutex
	open map[int64]map[model.AlertKind]bool
}

func (k *kinds) Publish(ev alert.Event) {
	if ev.Alert.ChannelID == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	ch := *ev.Alert.ChannelID
	if k.open[ch] == nil {
		k.open[ch] = map[model.AlertKind]bool{}
	}
	switch ev.Event {
	case model.EventOpened:
		k.open[ch][ev.Alert.Kind] = true
	case model.EventResolved:
		delete(k.open[ch], ev.Alert.Kind)
	}
}

// battery returns the one battery alert open on a channel ("" for none),
// or an error when there are several.
func (k *kinds) battery(ch int64) (model.AlertKind, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out model.AlertKind
	for kind := range k.open[ch] {
		if kind != model.AlertBatteryLow && kind != model.AlertBatteryCritical {
			continue
		}
		if out != "" {
			return "", fmt.Errorf("both %s and %s open", out, kind)
		}
		out = kind
	}
	return out, nil
}

// TestBatteryAlertIsTheTilesLevel: the rules raise the battery alert the
// tile's own status calls for, for every mix of figures a device may
// report: an EW-DX at 1 bar still reporting 120 minutes is CRITICAL on the
// tile and battery_critical in the alert, never "low"; 80 % with 20 minutes
// left is critical by its minutes on both; a pack at 4 bars with 5 hours
// raises nothing. Readings go through the board as a device's would, and
// the engine judges only what the board publishes.
func TestBatteryAlertIsTheTilesLevel(t *testing.T) {
	some := func(v int) device.Opt[int] { return device.Some(v) }
	unknown := device.Unknown[int]()
	cases := []struct {
		name          string
		bars, pct, mn device.Opt[int]
		status        model.Status
		alert         model.AlertKind
	}{
		{"1 bar, 120 minutes", some(1), unknown, some(120), model.StatusCritical, model.AlertBatteryCritical},
		{"1 bar, 20 %, 120 minutes", some(1), some(20), some(120), model.StatusCritical, model.AlertBatteryCritical},
		{"2 bars, 300 minutes", some(2), unknown, some(300), model.StatusCritical, model.AlertBatteryCritical},
		{"3 bars, 300 minutes", some(3), unknown, some(300), model.StatusReplace, model.AlertBatteryLow},
		{"3 bars, 30 minutes", some(3), unknown, some(30), model.StatusCritical, model.AlertBatteryCritical},
		{"5 bars but 10 %", some(5), some(10), unknown, model.StatusGood, ""},
		{"80 %, 20 minutes", unknown, some(80), some(20), model.StatusCritical, model.AlertBatteryCritical},
		{"40 %, 200 minutes", unknown, some(40), some(200), model.StatusReplace, model.AlertBatteryLow},
		{"18 %, 108 minutes", unknown, some(18), some(108), model.StatusCritical, model.AlertBatteryCritical},
		{"31 minutes alone", unknown, unknown, some(31), model.StatusGood, ""},
		{"15 minutes alone", unknown, unknown, some(15), model.StatusCritical, model.AlertBatteryCritical},
		{"4 bars, 70 %, 5 hours", some(4), some(70), some(300), model.StatusGood, ""},
	}

	// Four channels a receiver, as an EW-DX EM 4 has, every pack full.
	e := storetest.New(t)
	type place struct {
		rx  int64
		num int
		id  int64
	}
	var at []place
	full := []storetest.Battery{storetest.Bars(5), storetest.Bars(5), storetest.Bars(5), storetest.Bars(5)}
	for len(at) < len(cases) {
		rx := e.Receiver(storetest.Rx{Name: fmt.Sprintf("EW-DX %d", len(at)/4+1), Vendor: model.VendorSennheiser, Type: model.TypeEWDX, Online: true, Batteries: full})
		for _, ch := range rx.Channels {
			at = append(at, place{rx.Receiver.ID, ch.Number, ch.ID})
		}
	}
	e.Exec("UPDATE transmitters SET last_seen_at = now()")

	board := live.NewBoard(live.Options{})
	if err := board.Load(e.Ctx, e.St); err != nil {
		t.Fatal(err)
	}
	got := &kinds{open: map[int64]map[model.AlertKind]bool{}}
	eng := alert.New(alert.Options{Board: board, Store: e.St, Publishers: []alert.Publisher{got}, TimerEvery: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// Full packs first: nothing to say.
	time.Sleep(300 * time.Millisecond)
	for _, p := range at {
		if tile, _ := board.Tile(p.id); tile.Status != model.StatusGood {
			t.Fatalf("channel %d with a full pack is %s", p.id, tile.Status)
		}
		if k, err := got.battery(p.id); k != "" || err != nil {
			t.Fatalf("channel %d with a full pack: alert %q (%v)", p.id, k, err)
		}
	}

	readings := map[int64]device.Reading{}
	for i, c := range cases {
		r, ok := readings[at[i].rx]
		if !ok {
			r = device.Reading{Channels: map[int]*device.ChannelReading{}}
			readings[at[i].rx] = r
		}
		r.Channels[at[i].num] = &device.ChannelReading{BatteryBars: c.bars, BatteryPercent: c.pct, BatteryMinutes: c.mn}
	}
	for rx, r := range readings {
		if unknownChannels := board.Apply(rx, r); len(unknownChannels) != 0 {
			t.Fatalf("board knows no channels %v of receiver %d", unknownChannels, rx)
		}
	}

	deadline := time.Now().Add(10 * time.Second)
	for i, c := range cases {
		id := at[i].id
		tile, _ := board.Tile(id)
		if tile.Status != c.status {
			t.Errorf("%s: tile %s, want %s", c.name, tile.Status, c.status)
		}
		// The alert follows the tile, whatever this table expects.
		want := tile.Battery.AlertKind()
		if want != c.alert {
			t.Errorf("%s: the tile's level calls for %q, want %q", c.name, want, c.alert)
		}
		var k model.AlertKind
		var err error
		for {
			k, err = got.battery(id)
			if (k == want && err == nil) || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil || k != want {
			t.Errorf("%s: tile %s, battery alert %q (%v), want %q", c.name, tile.Status, k, err, want)
		}
	}
	// And nothing else arrives later for the good ones.
	time.Sleep(300 * time.Millisecond)
	for i, c := range cases {
		if c.alert != "" {
			continue
		}
		if k, _ := got.battery(at[i].id); k != "" {
			t.Errorf("%s: a %s alert on a GOOD tile", c.name, k)
		}
	}
}
