package alert_test

import (
	"context"
	"testing"
	"time"

	"micboard/app/alert"
	"micboard/app/device"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/store/storetest"
)

// TestAssignmentBatteryLimits: an assignment's own battery limits grade its
// battery alerts while the tile keeps the board's level, and a change of
// limits applies at once to what the board shows. One EW-DX, four channels:
//
//	1 assigned, battery_low_percent 80: 4 bars (75 %) is battery_low, the
//	  tile GOOD;
//	2 assigned, battery_critical_minutes 60: 45 min left is
//	  battery_critical, the tile GOOD;
//	3 and 4 unassigned with the same readings: nothing.
//
// Then, with no new reading, channel 1's limit is cleared (its alert
// resolves) and channel 3 is assigned with battery_low_percent 80 (it
// alerts).
func TestAssignmentBatteryLimits(t *testing.T) {
	e := storetest.New(t)
	full := []storetest.Battery{storetest.Bars(5), storetest.Bars(5), storetest.Bars(5), storetest.Bars(5)}
	rx := e.Receiver(storetest.Rx{Name: "EW-DX", Vendor: model.VendorSennheiser, Type: model.TypeEWDX, Online: true, Batteries: full})
	e.Exec("UPDATE transmitters SET last_seen_at = now()")
	ch := func(n int) int64 { return rx.Channels[n-1].ID }
	assign := func(name string, channel int64, limits model.AlertLimits) *model.Assignment {
		t.Helper()
		p := e.Performer(name)
		a := &model.Assignment{PerformerID: p.ID, ChannelID: channel, Priority: model.PriorityNormal, Active: true,
			AlertFlags: model.DefaultAlerts, AlertLimits: limits}
		if err := e.St.Assignments.Create(e.Ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	lowAt80, criticalAt60 := 80, 60
	early := assign("Early", ch(1), model.AlertLimits{BatteryLowPercent: &lowAt80})
	assign("Long", ch(2), model.AlertLimits{BatteryCriticalMinutes: &criticalAt60})

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
	time.Sleep(300 * time.Millisecond)
	for n := 1; n <= 4; n++ {
		if k, err := got.battery(ch(n)); k != "" || err != nil {
			t.Fatalf("channel %d with a full pack: alert %q (%v)", n, k, err)
		}
	}

	fourBars := &device.ChannelReading{BatteryBars: device.Some(4)}
	fortyFive := &device.ChannelReading{BatteryMinutes: device.Some(45)}
	if unknown := board.Apply(rx.Receiver.ID, device.Reading{Channels: map[int]*device.ChannelReading{
		1: fourBars, 2: fortyFive, 3: fourBars, 4: fortyFive,
	}}); len(unknown) != 0 {
		t.Fatalf("board knows no channels %v", unknown)
	}
	waitBattery := func(what string, channel int64, want model.AlertKind) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			k, err := got.battery(channel)
			if k == want && err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: battery alert %q (%v), want %q", what, k, err, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitBattery("channel 1, low at its own 80 %", ch(1), model.AlertBatteryLow)
	waitBattery("channel 2, critical at its own 60 min", ch(2), model.AlertBatteryCritical)
	time.Sleep(300 * time.Millisecond)
	for n := 1; n <= 4; n++ {
		if tile, _ := board.Tile(ch(n)); tile.Status != model.StatusGood {
			t.Errorf("channel %d: tile %s, want GOOD (the board's levels)", n, tile.Status)
		}
	}
	for _, n := range []int{3, 4} {
		if k, err := got.battery(ch(n)); k != "" || err != nil {
			t.Errorf("channel %d, nobody's, same reading: alert %q (%v)", n, k, err)
		}
	}

	// Limits changed, no new reading: the rules judge what the board shows.
	early.BatteryLowPercent = nil
	if err := e.St.Assignments.Update(e.Ctx, early, model.LimitBatteryLowPercent); err != nil {
		t.Fatal(err)
	}
	assign("Late", ch(3), model.AlertLimits{BatteryLowPercent: &lowAt80})
	eng.ReloadRules(e.Ctx)
	waitBattery("channel 1, its limit cleared", ch(1), "")
	waitBattery("channel 3, assigned with 80 %", ch(3), model.AlertBatteryLow)
	waitBattery("channel 2, unchanged", ch(2), model.AlertBatteryCritical)
}
