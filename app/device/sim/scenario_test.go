package sim

import (
	"log/slog"
	"reflect"
	"testing"
	"time"
)

var quietLog = slog.New(slog.DiscardHandler)

func TestManualClockOrder(t *testing.T) {
	clk := NewManualClock(epoch)
	var got []string
	clk.AfterFunc(3*time.Second, func() { got = append(got, "c") })
	clk.AfterFunc(time.Second, func() {
		got = append(got, "a")
		// Scheduled from a callback, still inside the same Advance.
		clk.AfterFunc(time.Second, func() { got = append(got, "b") })
	})
	stopped := clk.AfterFunc(2*time.Second, func() { got = append(got, "never") })
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer returned false")
	}
	clk.Advance(5 * time.Second)
	if want := []string{"a", "b", "c"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
	if !clk.Now().Equal(epoch.Add(5 * time.Second)) {
		t.Fatalf("Now = %v", clk.Now())
	}

	n := 0
	tk := startTicker(clk, time.Second, func() { n++ })
	clk.Advance(10 * time.Second)
	tk.Stop()
	clk.Advance(10 * time.Second)
	if n != 10 || clk.Pending() != 0 {
		t.Fatalf("ticker fired %d times (want 10), %d timers pending", n, clk.Pending())
	}
}

func runFleet(t *testing.T, scenario string, seed uint64, minutes int) []ReceiverState {
	t.Helper()
	clk := NewManualClock(epoch)
	f, err := StartFleet(FleetConfig{
		Receivers: 10, Models: ModelCodes(), Scenario: scenario, Seed: seed, Clock: clk, Logger: quietLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	for i := 0; i < minutes; i++ {
		clk.Advance(time.Minute)
	}
	var states []ReceiverState
	for _, r := range f.Receivers() {
		states = append(states, r.State())
	}
	return states
}

func TestScenarioDeterministic(t *testing.T) {
	a := runFleet(t, ScenarioShow, 42, 30)
	b := runFleet(t, ScenarioShow, 42, 30)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, same clock: states differ")
	}
	c := runFleet(t, ScenarioShow, 43, 30)
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave identical fleets")
	}
	start := runFleet(t, ScenarioShow, 42, 0)
	var drained, changed int
	for i := range a {
		for j := range a[i].Channels {
			was, now := start[i].Channels[j], a[i].Channels[j]
			if now.BatteryPercent < was.BatteryPercent {
				drained++
			}
			if now.RFA != was.RFA || now.AudioDBFS != was.AudioDBFS {
				changed++
			}
		}
	}
	if drained == 0 || changed == 0 {
		t.Fatalf("show scenario moved nothing: %d drained, %d changed", drained, changed)
	}
}

func TestScenarioStaticHoldsStill(t *testing.T) {
	a := runFleet(t, ScenarioStatic, 5, 0)
	b := runFleet(t, ScenarioStatic, 5, 60)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("static scenario changed state")
	}
}

func TestSteadyDrainPushesReports(t *testing.T) {
	clk := NewManualClock(epoch)
	f, err := StartFleet(FleetConfig{Receivers: 1, Models: []string{"ulxd4q"}, Scenario: ScenarioSteady, Seed: 1, Clock: clk, Logger: quietLog})
	must(t, err)
	t.Cleanup(func() { _ = f.Stop() })
	r := f.Receivers()[0]
	known(t, r, "HH01 Ayo", "ULXD2", 470125) // 80 %, 480 min of a 600 min pack
	c := dialShure(t, r.Addr())
	waitClients(t, r, 1)

	clk.Advance(time.Minute)
	c.expect("REP 1 BATT_RUN_TIME 00479") // a 600 min pack loses a minute per minute
	clk.Advance(59 * time.Minute)
	st := r.State().Channels[0]
	if st.BatteryPercent != 70 || st.BatteryMinutes != 420 || st.BatteryBars != 4 {
		t.Fatalf("after an hour: %d %% %d min %d bars, want 70 %% 420 min 4 bars", st.BatteryPercent, st.BatteryMinutes, st.BatteryBars)
	}
	c.expect("REP 1 BATT_CHARGE 070")
}

func TestUnknownScenario(t *testing.T) {
	if _, err := StartFleet(FleetConfig{Receivers: 1, Scenario: "chaos"}); err == nil {
		t.Fatal("unknown scenario accepted")
	}
	if _, err := StartFleet(FleetConfig{Receivers: 1, Models: []string{"ulxd9"}}); err == nil {
		t.Fatal("unknown model accepted")
	}
}
