package web

import (
	"strings"
	"testing"
	"time"

	"micboard/app/device"
	"micboard/app/live"
	"micboard/app/model"
)

func TestBatteryBarsFollowStatusThresholds(t *testing.T) {
	n := func(v int) *int { return &v }
	cases := []struct {
		b    model.Battery
		bars int
		ok   bool
	}{
		{model.Battery{Bars: n(3), Percent: n(90)}, 3, true}, // the device's bars win
		{model.Battery{Percent: n(100)}, 5, true},
		{model.Battery{Percent: n(76)}, 5, true},
		{model.Battery{Percent: n(60)}, 4, true}, // GOOD: never the 3 bars of REPLACE
		{model.Battery{Percent: n(51)}, 4, true},
		{model.Battery{Percent: n(50)}, 3, true}, // REPLACE
		{model.Battery{Percent: n(26)}, 3, true},
		{model.Battery{Percent: n(25)}, 2, true}, // CRITICAL
		{model.Battery{Percent: n(5)}, 1, true},
		{model.Battery{Percent: n(0)}, 0, true},
		{model.Battery{}, 0, false},
	}
	for _, c := range cases {
		bars, ok := batteryBars(c.b)
		if bars != c.bars || ok != c.ok {
			t.Errorf("batteryBars(%v/%v) = %d, %v; want %d, %v", c.b.Bars, c.b.Percent, bars, ok, c.bars, c.ok)
		}
		if c.b.Bars == nil && c.ok {
			// Bars drawn from percent tell the same story as the status.
			level := c.b.Level()
			byBars := model.Battery{Bars: &bars}.Level()
			if level != byBars {
				t.Errorf("%d%% is %s but its %d bars read %s", *c.b.Percent, level, bars, byBars)
			}
		}
	}
}

func TestTileViewFormatting(t *testing.T) {
	n := func(v int) *int { return &v }
	f := func(v float64) *float64 { return &v }
	now := time.Now()
	heard := now.Add(-3 * time.Minute)
	down := time.Date(2026, 5, 1, 21, 14, 0, 0, time.Local)
	cases := []struct {
		name  string
		tile  live.Tile
		check func(v tileView) bool
	}{
		{"minutes", live.Tile{Status: model.StatusGood, Battery: model.Battery{Bars: n(5), Minutes: n(460)}, Online: true}, func(v tileView) bool { return v.Battery == "7h 40m" && v.Bars == [5]bool{true, true, true, true, true} }},
		{"short minutes", live.Tile{Status: model.StatusCritical, Battery: model.Battery{Bars: n(1), Minutes: n(25)}, Online: true}, func(v tileView) bool { return v.Battery == "25m" && v.Label == "Critical" }},
		{"percent", live.Tile{Status: model.StatusGood, Battery: model.Battery{Percent: n(80)}, Online: true}, func(v tileView) bool { return v.Battery == "80%" }},
		{"calculating", live.Tile{Status: model.StatusGood, Battery: model.Battery{Bars: n(4)}, Runtime: device.RuntimeCalculating, Online: true}, func(v tileView) bool { return v.Battery == "calculating" }},
		{"frequency", live.Tile{Status: model.StatusGood, FrequencyKHz: n(470125), Online: true}, func(v tileView) bool { return v.Frequency == "470.125" }},
		{"frequency 7 digits", live.Tile{Status: model.StatusGood, FrequencyKHz: n(594075), Online: true}, func(v tileView) bool { return v.Frequency == "594.075" }},
		{"silent keeps last level striped", live.Tile{Status: model.StatusPrevReplace, LastBattery: model.Battery{Bars: n(3)}, LastHeard: &heard, Online: true}, func(v tileView) bool {
			return v.Striped && v.BarsKnown && v.Bars[2] && !v.Bars[3] && v.LastHeard != nil && v.Label == "Last heard"
		}},
		{"peak pulses over battery colour", live.Tile{Status: model.StatusAudioPeak, Battery: model.Battery{Bars: n(1)}, Online: true}, func(v tileView) bool { return v.Peak && v.Class == statusStyle[model.StatusCritical].Class }},
		{"offline hides meters", live.Tile{Status: model.StatusRxOffline, RFLevelDBm: []float64{-50}, AudioDBFS: f(-10)}, func(v tileView) bool { return v.Offline && v.Antennas == nil && v.AudioPct == 0 }},
		{"offline says since when", live.Tile{Status: model.StatusRxOffline, OfflineSince: &down}, func(v tileView) bool {
			return v.OfflineAt == clockAt(down, now) && strings.HasSuffix(v.OfflineAt, "21:14") && v.OfflineISO == down.UTC().Format(time.RFC3339)
		}},
		{"online says no since", live.Tile{Status: model.StatusGood, OfflineSince: &down, Online: true}, func(v tileView) bool { return v.OfflineAt == "" && v.OfflineISO == "" }},
		{"diversity per antenna", live.Tile{Status: model.StatusGood, RFLevelDBm: []float64{-60, -100}, Diversity: "BX", Online: true}, func(v tileView) bool {
			return len(v.Antennas) == 2 && v.Antennas[0].Active && !v.Antennas[1].Active && v.Antennas[0].Pct == 50 && v.Antennas[1].Pct == 0
		}},
		{"ULX-D active antenna", live.Tile{Status: model.StatusGood, RFLevelDBm: []float64{-70}, Diversity: "XB", Online: true}, func(v tileView) bool { return len(v.Antennas) == 1 && v.Antennas[0].Label == "B" }},
		{"no name falls back", live.Tile{Status: model.StatusGood, ReceiverName: "Rack A", Number: 3, Online: true}, func(v tileView) bool { return v.Name == "Rack A ch 3" }},
	}
	for _, c := range cases {
		if v := newTileView(&c.tile, tileOptions{ShowRF: true, ShowAudio: true}, now); !c.check(v) {
			t.Errorf("%s: %+v", c.name, v)
		}
	}
}

func TestMeterLinesDropLabelsThePageHas(t *testing.T) {
	rows := []meterRow{{Label: "A", Pct: 50, Active: true, Bar: true}, {Label: "B", Pct: 0, Bar: true}, {Label: "AF", Pct: 34, Active: true, Bar: true}}
	line := meterLine(7, rows, "7h 40m", false)
	if line != "7 A:50 B:0x AF:34 ~7h_40m" {
		t.Fatalf("line %q", line)
	}
	if got := withoutLabels("7 A:50 B:0x AF:34"); got != "7 50 0x 34" {
		t.Fatalf("without labels %q", got)
	}
	for _, c := range []struct{ last, line, wire string }{
		{"", line, line}, // nothing sent yet: all of it
		{"7 A:40 B:0x AF:34 ~7h_40m", line, "7 50 0x 34"},                           // the battery did not move
		{"7 A:50 B:0x AF:34 ~7h_41m", line, "7 50 0x 34 ~7h_40m"},                   // only the battery moved
		{"7 RF:- AF:34 ~7h_40m", line, "7 A:50 B:0x AF:34"},                         // other rows: labels again
		{"7 A:50 B:0x AF:34 ~calculating", "7 A:50 B:0x AF:34 ~—", "7 50 0x 34 ~—"}, // any text
		{line, meterLine(7, rows, "7h 40m", true), "7 50 0x 34 ~7h_40m !"},          // a clip begins
		{meterLine(7, rows, "7h 40m", true), line, "7 50 0x 34 ~7h_40m"},            // and ends
	} {
		if got := wireLine(c.last, c.line); got != c.wire {
			t.Errorf("wireLine(%q, %q) = %q, want %q", c.last, c.line, got, c.wire)
		}
	}
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"7 A:50 B:0x AF:34", "7 A:52 B:4 AF:30", true},
		{"7 A:50 AF:34", "7 B:50 AF:34", false},      // the other antenna now
		{"7 RF:- AF:34", "7 A:50 B:50 AF:34", false}, // a row more
		{"", "7 A:50", false},                        // nothing sent yet
	} {
		if got := sameLabels(c.a, c.b); got != c.same {
			t.Errorf("sameLabels(%q, %q) = %v", c.a, c.b, got)
		}
	}
	if q := quantise(83); q != 84 {
		t.Errorf("quantise(83) = %d", q)
	}
	if q := quantise(100); q != 100 {
		t.Errorf("quantise(100) = %d", q)
	}
}

func TestClockAt(t *testing.T) {
	now := time.Date(2026, 5, 2, 9, 0, 0, 0, time.Local)
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{now.Add(-3 * time.Minute), "08:57"},
		{time.Date(2026, 5, 1, 21, 14, 0, 0, time.Local), "21:14"},
		{time.Date(2026, 4, 30, 21, 14, 0, 0, time.Local), "Apr 30 21:14"},
	} {
		if got := clockAt(c.at, now); got != c.want {
			t.Errorf("clockAt(%s) = %q, want %q", c.at, got, c.want)
		}
	}
}
