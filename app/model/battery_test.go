package model

import (
	"testing"
	"time"
)

func n(v int) *int { return &v }

// TestHealth pins the one definition of a channel's health: every battery
// figure a device may give (bars, percent, minutes, nothing, and several
// that disagree) → level → status, alert and attention. The alert is the
// level's (CRITICAL → battery_critical, REPLACE → battery_low), never a
// grade of its own.
func TestHealth(t *testing.T) {
	now := time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)
	const none, low, crit = AlertKind(""), AlertBatteryLow, AlertBatteryCritical
	cases := []struct {
		name      string
		b         Battery
		pct       int // PercentLeft, -1 unknown
		status    Status
		alert     AlertKind
		attention bool
	}{
		{"unknown", Battery{}, -1, StatusTxOff, none, false},
		{"0 bars", Battery{Bars: n(0)}, 0, StatusCritical, crit, true},
		{"1 bar", Battery{Bars: n(1)}, 10, StatusCritical, crit, true},
		{"2 bars", Battery{Bars: n(2)}, 25, StatusCritical, crit, true},
		{"3 bars", Battery{Bars: n(3)}, 50, StatusReplace, low, true},
		{"4 bars", Battery{Bars: n(4)}, 75, StatusGood, none, false},
		{"5 bars", Battery{Bars: n(5)}, 100, StatusGood, none, false},
		{"5 percent", Battery{Percent: n(5)}, 5, StatusCritical, crit, true},
		{"20 percent", Battery{Percent: n(20)}, 20, StatusCritical, crit, true},
		{"25 percent", Battery{Percent: n(25)}, 25, StatusCritical, crit, true},
		{"26 percent", Battery{Percent: n(26)}, 26, StatusReplace, low, true},
		{"50 percent", Battery{Percent: n(50)}, 50, StatusReplace, low, true},
		{"51 percent", Battery{Percent: n(51)}, 51, StatusGood, none, false},
		{"15 minutes", Battery{Minutes: n(15)}, -1, StatusCritical, crit, true},
		{"30 minutes", Battery{Minutes: n(30)}, -1, StatusCritical, crit, true},
		{"31 minutes", Battery{Minutes: n(31)}, -1, StatusGood, none, false},
		// Figures that disagree: bars win over the percent (both are the
		// charge, PROTOCOLS.md §3 grades by bars first); between charge and
		// runtime the worse wins.
		{"5 bars but 10 percent", Battery{Bars: n(5), Percent: n(10)}, 100, StatusGood, none, false},
		{"3 bars but 90 percent", Battery{Bars: n(3), Percent: n(90)}, 50, StatusReplace, low, true},
		{"20 percent but 120 minutes", Battery{Percent: n(20), Minutes: n(120)}, 20, StatusCritical, crit, true},
		{"1 bar, 20 percent and 120 minutes", Battery{Bars: n(1), Percent: n(20), Minutes: n(120)}, 10, StatusCritical, crit, true},
		{"3 bars and 300 minutes", Battery{Bars: n(3), Minutes: n(300)}, 50, StatusReplace, low, true},
		{"80 percent but 20 minutes", Battery{Percent: n(80), Minutes: n(20)}, 80, StatusCritical, crit, true},
		{"3 bars but 30 minutes", Battery{Bars: n(3), Minutes: n(30)}, 50, StatusCritical, crit, true},
		{"5 bars but 12 minutes", Battery{Bars: n(5), Minutes: n(12)}, 100, StatusCritical, crit, true},
		{"4 bars and 5 hours", Battery{Bars: n(4), Percent: n(70), Minutes: n(300)}, 75, StatusGood, none, false},
	}
	for _, c := range cases {
		pct, ok := c.b.PercentLeft()
		if !ok {
			pct = -1
		}
		if pct != c.pct {
			t.Errorf("%s: percent left %d, want %d", c.name, pct, c.pct)
		}
		h := DeriveHealth(StatusInput{Now: now, ReceiverOnline: true, Battery: c.b})
		if h.Status != c.status {
			t.Errorf("%s: status %s, want %s", c.name, h.Status, c.status)
		}
		if got := c.b.AlertKind(); got != c.alert {
			t.Errorf("%s: alert %q, want %q", c.name, got, c.alert)
		}
		// The same level the tile shows is the one the store's query and
		// the count select: low or worse under StatusThresholds.
		if g := c.b.Grade(StatusThresholds); (g == GradeLow || g == GradeCritical) != (c.alert != none) {
			t.Errorf("%s: graded %s for the store's query, but the alert is %q", c.name, g, c.alert)
		}
		if h.NeedsAttention() != c.attention {
			t.Errorf("%s: needs attention %v, want %v", c.name, h.NeedsAttention(), c.attention)
		}
		// A clip pulses over the same colour and keeps the attention.
		peak := now.Add(-time.Second)
		hp := DeriveHealth(StatusInput{Now: now, ReceiverOnline: true, Battery: c.b, LastPeakAt: &peak})
		if hp.Status != StatusAudioPeak || hp.Base != h.Status || hp.NeedsAttention() != c.attention {
			t.Errorf("%s with a clip: %+v, want AUDIO_PEAK over %s", c.name, hp, h.Status)
		}
		// What the tile lights agrees with the grade.
		if bars, ok := c.b.BarsLeft(); ok && c.b.Minutes == nil {
			if got := (Battery{Bars: &bars}).Level(); got != h.Status {
				t.Errorf("%s: lights %d bars, which grade %s, but the status is %s", c.name, bars, got, h.Status)
			}
		}
	}
}

// TestHealthInEarTransmitter: a P10T never reports a battery; its channels
// stay GOOD while the receiver answers, never drifting to TX_OFF, and an
// offline one is still offline.
func TestHealthInEarTransmitter(t *testing.T) {
	now := time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)
	long := now.Add(-2 * SilentHold)
	// The device registry says so at start (app/device/all); this package
	// imports none of Micboard's, so the test says it itself.
	saved, savedNo := DeviceTypes, noBattery
	t.Cleanup(func() { DeviceTypes, noBattery = saved, savedNo })
	SetDeviceTypes([]DeviceTypeInfo{{Type: TypeULXD}, {Type: TypeP10T, NoBattery: true}})
	if TypeP10T.ReportsBattery() || !TypeULXD.ReportsBattery() || !TypeP10T.Valid() || DeviceType("walkie").Valid() {
		t.Fatal("only the P10T reports no battery")
	}
	in := StatusInput{Now: now, ReceiverOnline: true, NoBattery: true, LastHeard: &long}
	if h := DeriveHealth(in); h.Status != StatusGood || h.NeedsAttention() {
		t.Errorf("P10T online: %+v, want GOOD without attention", h)
	}
	in.ReceiverOnline = false
	if h := DeriveHealth(in); h.Status != StatusRxOffline || !h.NeedsAttention() {
		t.Errorf("P10T offline: %+v, want RX_OFFLINE", h)
	}
}

func TestBarsLeft(t *testing.T) {
	for pct, want := range map[int]int{0: 0, 1: 1, 10: 1, 11: 2, 25: 2, 26: 3, 50: 3, 51: 4, 75: 4, 76: 5, 100: 5} {
		if got, _ := (Battery{Percent: n(pct)}).BarsLeft(); got != want {
			t.Errorf("%d %% lights %d bars, want %d", pct, got, want)
		}
	}
}
