package model

import (
	"testing"
	"time"
)

func TestReason(t *testing.T) {
	n := func(v int) *int { return &v }
	now := time.Now()
	ago := now.Add(-time.Minute)
	cases := []struct {
		name string
		in   StatusInput
		want string
	}{
		{"bars critical, runtime long", StatusInput{ReceiverOnline: true, Battery: Battery{Bars: n(2), Minutes: n(204)}},
			"2 of 5 bars — critical at 2 bars or fewer; runtime 3 h 24 m reported."},
		{"bars replace", StatusInput{ReceiverOnline: true, Battery: Battery{Bars: n(3), Minutes: n(352)}},
			"3 of 5 bars — replace at 3 bars or fewer; runtime 5 h 52 m reported."},
		{"runtime critical, bars full", StatusInput{ReceiverOnline: true, Battery: Battery{Bars: n(5), Minutes: n(24)}},
			"5 of 5 bars; runtime 24 min reported — critical at 30 min or less."},
		{"percent good", StatusInput{ReceiverOnline: true, Battery: Battery{Percent: n(80)}},
			"80 % — good above 50 %."},
		{"bars good with runtime", StatusInput{ReceiverOnline: true, Battery: Battery{Bars: n(4), Minutes: n(300)}},
			"4 of 5 bars; runtime 5 h 00 m reported — good above 3 bars and above 30 min."},
		{"percent critical", StatusInput{ReceiverOnline: true, Battery: Battery{Percent: n(18)}},
			"18 % — critical at 25 % or less."},
		{"offline", StatusInput{ReceiverOnline: false}, "The receiver does not answer."},
		{"silent", StatusInput{ReceiverOnline: true, LastBattery: Battery{Bars: n(1)}, LastHeard: &ago},
			"The transmitter is silent; its last reading: 1 of 5 bars — critical at 2 bars or fewer."},
		{"off", StatusInput{ReceiverOnline: true}, "The transmitter is off or out of range: the receiver reports no battery."},
		{"clip over a good pack", StatusInput{ReceiverOnline: true, Battery: Battery{Bars: n(5)}, LastPeakAt: &now},
			"5 of 5 bars — good above 3 bars. The audio clipped in the last 10 s."},
		{"mains", StatusInput{ReceiverOnline: true, NoBattery: true}, "This device runs on mains power and reports no battery."},
	}
	for _, c := range cases {
		c.in.Now = now
		h := DeriveHealth(c.in)
		if got := Reason(c.in, h); got != c.want {
			t.Errorf("%s (%s): Reason = %q, want %q", c.name, h.Status, got, c.want)
		}
	}
}
