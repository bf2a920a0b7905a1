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

// has reports an open alert of kind on a channel.
func (k *kinds) has(ch int64, kind model.AlertKind) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.open[ch][kind]
}

// TestAssignmentFlagsAndLimits: an assignment's flags switch each kind on
// or off and its limits replace the defaults, while a channel nobody is
// assigned to gets the defaults. One receiver, four channels:
//
//	1 assigned, every flag off: a dying pack, no RF and the transmitter
//	  switched off raise nothing, until battery alerts are switched on;
//	2 assigned, audio low on at -40 dBFS, RF loss after 1 s: both alert;
//	3 unassigned: audio low is off by default; RF loss waits for the
//	  default (an hour here), so it does not alert within the test;
//	4 unassigned: a transmitter switched off alerts only when assigned.
func TestAssignmentFlagsAndLimits(t *testing.T) {
	e := storetest.New(t)
	full := []storetest.Battery{storetest.Bars(5), storetest.Bars(5), storetest.Bars(5), storetest.Bars(5)}
	rx := e.Receiver(storetest.Rx{Name: "ULX-D", Online: true, Batteries: full})
	e.Exec("UPDATE transmitters SET last_seen_at = now()")
	ch := func(n int) int64 { return rx.Channels[n-1].ID }
	assign := func(name string, channel int64, flags model.AlertFlags, limits model.AlertLimits) *model.Assignment {
		p := e.Performer(name)
		a := &model.Assignment{PerformerID: p.ID, ChannelID: channel, Priority: model.PriorityNormal, Active: true,
			AlertFlags: flags, AlertLimits: limits}
		if err := e.St.Assignments.Create(e.Ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	quiet := assign("Quiet", ch(1), model.AlertFlags{}, model.AlertLimits{})
	rfSeconds, audioDBFS := 1, -40.0
	assign("Loud", ch(2), model.AlertFlags{SignalLoss: true, AudioLow: true}, model.AlertLimits{RFLossSeconds: &rfSeconds, AudioLowDBFS: &audioDBFS})

	board := live.NewBoard(live.Options{})
	if err := board.Load(e.Ctx, e.St); err != nil {
		t.Fatal(err)
	}
	got := &kinds{open: map[int64]map[model.AlertKind]bool{}}
	eng := alert.New(alert.Options{Board: board, Store: e.St, Publishers: []alert.Publisher{got},
		Config:     alert.Config{RFLossAfter: time.Hour, AudioLowAfter: 300 * time.Millisecond},
		TimerEvery: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(300 * time.Millisecond)

	apply := func(readings map[int]*device.ChannelReading) {
		t.Helper()
		if unknown := board.Apply(rx.Receiver.ID, device.Reading{Channels: readings}); len(unknown) != 0 {
			t.Fatalf("board knows no channels %v", unknown)
		}
	}
	// Meters arrive often, as a device sends them.
	meter := func(quality int, audio float64) map[int]*device.ChannelReading {
		out := map[int]*device.ChannelReading{}
		for n := 1; n <= 3; n++ {
			out[n] = &device.ChannelReading{Quality: device.Some(quality), QualityMax: 5, AudioLevelDBFS: device.Some(audio)}
		}
		return out
	}
	waitOpen := func(what string, channel int64, kind model.AlertKind) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !got.has(channel, kind) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no %s alert", what, kind)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// Channel 1's pack dies; every channel loses its link and goes quiet.
	apply(map[int]*device.ChannelReading{1: {BatteryBars: device.Some(1)}})
	for i := 0; i < 15; i++ {
		m := meter(0, -60)
		apply(m)
		time.Sleep(100 * time.Millisecond)
	}
	waitOpen("channel 2, audio low at its own -40 dBFS", ch(2), model.AlertAudioLow)
	waitOpen("channel 2, RF loss after its own 1 s", ch(2), model.AlertRFLoss)
	for _, c := range []struct {
		what    string
		channel int64
		kind    model.AlertKind
	}{
		{"channel 1, battery alerts off", ch(1), model.AlertBatteryCritical},
		{"channel 1, signal loss off", ch(1), model.AlertRFLoss},
		{"channel 1, audio low off", ch(1), model.AlertAudioLow},
		{"channel 3, audio low off by default", ch(3), model.AlertAudioLow},
		{"channel 3, RF loss after the default hour", ch(3), model.AlertRFLoss},
	} {
		if got.has(c.channel, c.kind) {
			t.Errorf("%s: a %s alert", c.what, c.kind)
		}
	}
	if s := func() model.Status { tl, _ := board.Tile(ch(1)); return tl.Status }(); s != model.StatusCritical {
		t.Fatalf("channel 1 is %s, want CRITICAL (the condition holds; only its alert is off)", s)
	}

	// Audio at -35 dBFS is above channel 2's limit: its alert resolves.
	apply(map[int]*device.ChannelReading{2: {AudioLevelDBFS: device.Some(-35.0)}})
	deadline := time.Now().Add(10 * time.Second)
	for got.has(ch(2), model.AlertAudioLow) {
		if time.Now().After(deadline) {
			t.Fatal("channel 2's audio low did not resolve above its limit")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Transmitters 1 and 4 switched off: neither alerts (1 has the kind
	// off, 4 is nobody's).
	off := &device.ChannelReading{BatteryBars: device.Unknown[int](), BatteryPercent: device.Unknown[int](), BatteryMinutes: device.Unknown[int]()}
	apply(map[int]*device.ChannelReading{4: off})
	time.Sleep(500 * time.Millisecond)
	if got.has(ch(4), model.AlertTxOff) {
		t.Error("channel 4, nobody's: a transmitter switched off alerted")
	}

	// Battery alerts switched on for channel 1: its dying pack alerts now.
	if _, err := e.St.Assignments.SetAlertFlags(e.Ctx, model.AlertFlags{BatteryLow: true}, quiet.ID); err != nil {
		t.Fatal(err)
	}
	eng.ReloadRules(e.Ctx)
	apply(map[int]*device.ChannelReading{1: {BatteryBars: device.Some(0)}})
	waitOpen("channel 1, battery alerts switched on", ch(1), model.AlertBatteryCritical)
	apply(map[int]*device.ChannelReading{1: off})
	time.Sleep(500 * time.Millisecond)
	if got.has(ch(1), model.AlertTxOff) {
		t.Error("channel 1, transmitter switched off with the kind off: alerted")
	}
}
