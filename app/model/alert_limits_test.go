package model

import (
	"maps"
	"math"
	"reflect"
	"testing"
)

func TestAlertLimitsValidate(t *testing.T) {
	i := func(v int) *int { return &v }
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		name string
		l    AlertLimits
		bad  []string // the fields named, nil for none
	}{
		{"none set", AlertLimits{}, nil},
		{"every edge", AlertLimits{BatteryLowPercent: i(100), BatteryCriticalPercent: i(0), BatteryLowMinutes: i(1440),
			BatteryCriticalMinutes: i(0), RFLossSeconds: i(600), AudioLowDBFS: f(-120)}, nil},
		{"other edges", AlertLimits{RFLossSeconds: i(1), AudioLowDBFS: f(0)}, nil},
		{"critical equal to low", AlertLimits{BatteryLowPercent: i(40), BatteryCriticalPercent: i(40)}, nil},
		{"critical alone above the board's low", AlertLimits{BatteryCriticalPercent: i(60)}, nil},
		{"percent above 100", AlertLimits{BatteryLowPercent: i(101)}, []string{LimitBatteryLowPercent}},
		{"negative percent", AlertLimits{BatteryCriticalPercent: i(-1)}, []string{LimitBatteryCriticalPercent}},
		{"minutes above a day", AlertLimits{BatteryLowMinutes: i(1441)}, []string{LimitBatteryLowMinutes}},
		{"negative minutes", AlertLimits{BatteryCriticalMinutes: i(-5)}, []string{LimitBatteryCriticalMinutes}},
		{"RF loss 0 s", AlertLimits{RFLossSeconds: i(0)}, []string{LimitRFLossSeconds}},
		{"RF loss 601 s", AlertLimits{RFLossSeconds: i(601)}, []string{LimitRFLossSeconds}},
		{"audio above 0", AlertLimits{AudioLowDBFS: f(0.5)}, []string{LimitAudioLowDBFS}},
		{"audio below -120", AlertLimits{AudioLowDBFS: f(-121)}, []string{LimitAudioLowDBFS}},
		{"audio NaN", AlertLimits{AudioLowDBFS: f(math.NaN())}, []string{LimitAudioLowDBFS}},
		{"critical percent above low", AlertLimits{BatteryLowPercent: i(30), BatteryCriticalPercent: i(40)}, []string{LimitBatteryCriticalPercent}},
		{"critical minutes above low", AlertLimits{BatteryLowMinutes: i(30), BatteryCriticalMinutes: i(45)}, []string{LimitBatteryCriticalMinutes}},
	}
	for _, c := range cases {
		bad := c.l.Validate()
		var names []string
		for _, n := range AlertLimitNames {
			if msg, ok := bad[n]; ok {
				if msg == "" {
					t.Errorf("%s: %s has no message", c.name, n)
				}
				names = append(names, n)
			}
		}
		if len(names) != len(bad) {
			t.Errorf("%s: fields %v not all limits", c.name, bad)
		}
		if !reflect.DeepEqual(names, c.bad) {
			t.Errorf("%s: bad %v, want %v", c.name, bad, c.bad)
		}
	}
	if msg := (AlertLimits{BatteryLowPercent: i(30), BatteryCriticalPercent: i(40)}).Validate()[LimitBatteryCriticalPercent]; msg != "at most the low limit (30 %)" {
		t.Errorf("critical above low says %q", msg)
	}
}

// An assignment's battery limits replace the board's field by field; with
// none the thresholds are the board's own.
func TestAlertLimitsBattery(t *testing.T) {
	i := func(v int) *int { return &v }
	if got := (AlertLimits{}).Battery(StatusThresholds); got != StatusThresholds {
		t.Errorf("no limits: %+v, want the board's %+v", got, StatusThresholds)
	}
	got := AlertLimits{BatteryLowPercent: i(80), BatteryCriticalMinutes: i(60)}.Battery(StatusThresholds)
	want := BatteryThresholds{LowPercent: 80, CriticalPercent: 25, CriticalMinutes: 60}
	if got != want {
		t.Errorf("limits: %+v, want %+v", got, want)
	}
	four, fortyFive := Battery{Bars: i(4)}, Battery{Bars: i(5), Minutes: i(45)}
	if four.Grade(got).AlertKind() != AlertBatteryLow || four.Level() != StatusGood {
		t.Errorf("4 bars: %s under the limits, tile %s", four.Grade(got), four.Level())
	}
	if fortyFive.Grade(got).AlertKind() != AlertBatteryCritical || fortyFive.Level() != StatusGood {
		t.Errorf("45 min: %s under the limits, tile %s", fortyFive.Grade(got), fortyFive.Level())
	}
	l := AlertLimits{BatteryLowPercent: i(80), RFLossSeconds: i(5)}.With(AlertLimits{RFLossSeconds: i(9)}, LimitBatteryLowPercent, LimitRFLossSeconds)
	if l.BatteryLowPercent != nil || l.RFLossSeconds == nil || *l.RFLossSeconds != 9 {
		t.Errorf("With: %+v", l)
	}
}

// Every limit is set, copied and shown by its name, the audio one as typed.
func TestAlertLimitsByName(t *testing.T) {
	var l AlertLimits
	for i, name := range AlertLimitNames {
		n := 10 + i
		l.SetWhole(name, &n)
	}
	if l.AudioLowDBFS != nil {
		t.Fatal("SetWhole set the audio limit")
	}
	x := float64(float32(-40.3)) // as a real column reads it back
	l.AudioLowDBFS = &x
	want := map[string]string{"battery_low_percent": "10", "battery_critical_percent": "11", "battery_low_minutes": "12",
		"battery_critical_minutes": "13", "rf_loss_seconds": "14", "audio_low_dbfs": "-40.3"}
	if got := l.Typed(); !maps.Equal(got, want) {
		t.Fatalf("typed %v, want %v", got, want)
	}
	copied := AlertLimits{}.With(l, LimitRFLossSeconds, LimitAudioLowDBFS)
	if got := copied.Typed(); len(got) != 2 || got["rf_loss_seconds"] != "14" || got["audio_low_dbfs"] != "-40.3" {
		t.Fatalf("With copied %v", got)
	}
	l.SetWhole(LimitBatteryLowPercent, nil)
	if _, ok := l.Typed()["battery_low_percent"]; ok || (AlertLimits{}).Typed()["rf_loss_seconds"] != "" {
		t.Fatal("a cleared or unset limit is shown")
	}
}
