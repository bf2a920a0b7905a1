package model

import (
	"testing"
	"time"
)

func n(v int) *int { return &v }

// TestHealth pins the one definition of a channel's health: every battery
// figure a device may give (bars, percent, minutes, nothing) → battery
// grade under the board's and the alerts' thresholds → status → attention.
func TestHealth(t *testing.T) {
	now := time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		b         Battery
		pct       int // PercentLeft, -1 unknown
		status    Status
		alert     Grade
		attention bool
	}{
		{"unknown", Battery{}, -1, StatusTxOff, GradeUnknown, false},
		{"0 bars", Battery{Bars: n(0)}, 0, StatusCritical, GradeCritical, true},
		{"1 bar", Battery{Bars: n(1)}, 10, StatusCritical, GradeCritical, true},
		{"2 bars", Battery{Bars: n(2)}, 25, StatusCritical, GradeGood, true},
		{"3 bars", Battery{Bars: n(3)}, 50, StatusReplace, GradeGood, true},
		{"4 bars", Battery{Bars: n(4)}, 75, StatusGood, GradeGood, false},
		{"5 bars", Battery{Bars: n(5)}, 100, StatusGood, GradeGood, false},
		{"bars win over percent", Battery{Bars: n(5), Percent: n(10)}, 100, StatusGood, GradeGood, false},
		{"5 percent", Battery{Percent: n(5)}, 5, StatusCritical, GradeCritical, true},
		{"10 percent", Battery{Percent: n(10)}, 10, StatusCritical, GradeCritical, true},
		{"11 percent", Battery{Percent: n(11)}, 11, StatusCritical, GradeLow, true},
		{"20 percent", Battery{Percent: n(20)}, 20, StatusCritical, GradeLow, true},
		{"21 percent", Battery{Percent: n(21)}, 21, StatusCritical, GradeGood, true},
		{"25 percent", Battery{Percent: n(25)}, 25, StatusCritical, GradeGood, true},
		{"26 percent", Battery{Percent: n(26)}, 26, StatusReplace, GradeGood, true},
		{"50 percent", Battery{Percent: n(50)}, 50, StatusReplace, GradeGood, true},
		{"51 percent", Battery{Percent: n(51)}, 51, StatusGood, GradeGood, false},
		{"15 minutes", Battery{Minutes: n(15)}, -1, StatusCritical, GradeCritical, true},
		{"16 minutes", Battery{Minutes: n(16)}, -1, StatusCritical, GradeLow, true},
		{"30 minutes", Battery{Minutes: n(30)}, -1, StatusCritical, GradeLow, true},
		{"31 minutes", Battery{Minutes: n(31)}, -1, StatusGood, GradeGood, false},
		{"80 percent but 20 minutes", Battery{Percent: n(80), Minutes: n(20)}, 80, StatusCritical, GradeLow, true},
		{"5 bars but 12 minutes", Battery{Bars: n(5), Minutes: n(12)}, 100, StatusCritical, GradeCritical, true},
		{"4 bars and 5 hours", Battery{Bars: n(4), Percent: n(70), Minutes: n(300)}, 75, StatusGood, GradeGood, false},
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
		if got := c.b.Grade(AlertThresholds); got != c.alert {
			t.Errorf("%s: alert grade %s, want %s", c.name, got, c.alert)
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
	if TypeP10T.ReportsBattery() || !TypeULXD.ReportsBattery() {
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
