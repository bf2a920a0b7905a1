package model

import (
	"testing"
	"time"
)

func TestDeriveStatus(t *testing.T) {
	now := time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }
	n := func(v int) *int { return &v }
	bars := func(v int) Battery { return Battery{Bars: n(v)} }
	cases := []struct {
		name string
		in   StatusInput
		want Status
	}{
		{"offline beats everything", StatusInput{ReceiverOnline: false, Battery: bars(5), LastPeakAt: ago(time.Second)}, StatusRxOffline},
		{"recent clip", StatusInput{ReceiverOnline: true, Battery: bars(1), LastPeakAt: ago(9 * time.Second)}, StatusAudioPeak},
		{"old clip ignored", StatusInput{ReceiverOnline: true, Battery: bars(5), LastPeakAt: ago(11 * time.Second)}, StatusGood},
		{"0 bars", StatusInput{ReceiverOnline: true, Battery: bars(0)}, StatusCritical},
		{"2 bars", StatusInput{ReceiverOnline: true, Battery: bars(2)}, StatusCritical},
		{"3 bars", StatusInput{ReceiverOnline: true, Battery: bars(3)}, StatusReplace},
		{"4 bars", StatusInput{ReceiverOnline: true, Battery: bars(4)}, StatusGood},
		{"5 bars", StatusInput{ReceiverOnline: true, Battery: bars(5)}, StatusGood},
		{"bars win over percent", StatusInput{ReceiverOnline: true, Battery: Battery{Bars: n(5), Percent: n(10)}}, StatusGood},
		{"25 percent", StatusInput{ReceiverOnline: true, Battery: Battery{Percent: n(25)}}, StatusCritical},
		{"26 percent", StatusInput{ReceiverOnline: true, Battery: Battery{Percent: n(26)}}, StatusReplace},
		{"50 percent", StatusInput{ReceiverOnline: true, Battery: Battery{Percent: n(50)}}, StatusReplace},
		{"51 percent", StatusInput{ReceiverOnline: true, Battery: Battery{Percent: n(51)}}, StatusGood},
		{"30 minutes", StatusInput{ReceiverOnline: true, Battery: Battery{Minutes: n(30)}}, StatusCritical},
		{"31 minutes", StatusInput{ReceiverOnline: true, Battery: Battery{Minutes: n(31)}}, StatusGood},
		{"80 percent but 20 minutes", StatusInput{ReceiverOnline: true, Battery: Battery{Percent: n(80), Minutes: n(20)}}, StatusCritical},
		{"silent, was good", StatusInput{ReceiverOnline: true, LastBattery: bars(4), LastHeard: ago(5 * time.Minute)}, StatusPrevGood},
		{"silent, was replace", StatusInput{ReceiverOnline: true, LastBattery: bars(3), LastHeard: ago(29 * time.Minute)}, StatusPrevReplace},
		{"silent, was critical", StatusInput{ReceiverOnline: true, LastBattery: Battery{Percent: n(10)}, LastHeard: ago(time.Minute)}, StatusPrevCritical},
		{"silent 30 minutes", StatusInput{ReceiverOnline: true, LastBattery: bars(4), LastHeard: ago(30 * time.Minute)}, StatusTxOff},
		{"never heard", StatusInput{ReceiverOnline: true}, StatusTxOff},
		{"unassigned greyed", StatusInput{ReceiverOnline: true, Battery: bars(1), GreyUnassigned: true}, StatusUnassigned},
		{"unassigned not greyed", StatusInput{ReceiverOnline: true, Battery: bars(1)}, StatusCritical},
		{"assigned with grey option", StatusInput{ReceiverOnline: true, Battery: bars(4), GreyUnassigned: true, Assigned: true}, StatusGood},
		{"offline beats unassigned", StatusInput{ReceiverOnline: false, GreyUnassigned: true}, StatusRxOffline},
	}
	for _, c := range cases {
		c.in.Now = now
		if got := DeriveStatus(c.in); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

func TestStatusColours(t *testing.T) {
	want := map[Status]string{
		StatusGood: "#69B578", StatusPrevGood: "#006494", StatusPrevCritical: "#006494", StatusReplace: "#EF9D51",
		StatusCritical: "#DC493A", StatusTxOff: "#262626", StatusUnassigned: "#262626", StatusRxOffline: "#845A6D",
	}
	for s, c := range want {
		if got := s.Colour(); got != c {
			t.Errorf("%s colour = %s, want %s", s, got, c)
		}
	}
	if !StatusPrevReplace.Striped() || StatusReplace.Striped() {
		t.Error("only PREV_* are striped")
	}
}
