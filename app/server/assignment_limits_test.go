package server_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"micboard/app/config"
	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/server"
	"micboard/app/service"
	"micboard/app/store"
)

// An assignment's alert limits saved on the console apply at once, not at
// the alert rules' next slow reload (30 s): a pack at 4 bars, GOOD on the
// board, raises battery_low as soon as its assignment says "low at 80 %",
// and the alert resolves as soon as the limit is cleared again, with no
// new reading from the receiver in between.
func TestAssignmentLimitsApplyAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bdb := dbtest.New(t)
	st := store.New(bdb)

	fleet, err := sim.StartFleet(sim.FleetConfig{Receivers: 1, Models: []string{"ulxd4d"}, Host: "127.0.0.1", Seed: 11, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fleet.Stop() })
	sr := fleet.Receivers()[0]
	for ch := 1; ch <= len(sr.State().Channels); ch++ {
		must(t, sr.SetTxOff(ch, false))
		must(t, sr.SetBatteryBars(ch, 4))
		must(t, sr.SetRF(ch, -50, -50))
	}
	ep := fleet.Endpoints()[0]
	reg, err := monitor.Register(ctx, st, ep.Vendor, ep.Host, ep.Port, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reg, err = st.Receivers.Get(ctx, reg.ID); err != nil {
		t.Fatal(err)
	}
	var ch1 int64
	for _, c := range reg.Channels {
		if c.Number == 1 {
			ch1 = c.ID
		}
	}
	zoe := &model.Performer{Name: "Zoe", Active: true}
	must(t, st.Performers.Create(ctx, zoe))
	if _, err := service.NewUsers(st).Create(ctx, service.CLI, service.UserInput{Username: "op", Password: "operator-pass", Role: model.RoleOperator}); err != nil {
		t.Fatal(err)
	}

	cfg, err := config.Parse(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, server.Options{Config: cfg, DB: bdb, Logger: quiet, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()
	waitFor(t, 15*time.Second, "channel 1 on the board at 4 bars, GOOD", func() error {
		tile, ok := srv.Board.Tile(ch1)
		if !ok || !tile.Online || tile.Battery.Bars == nil || *tile.Battery.Bars != 4 || tile.Status != model.StatusGood {
			return fmt.Errorf("tile %+v", tile)
		}
		return nil
	})
	// battery returns the kind of the battery alert open on channel 1.
	battery := func() (model.AlertKind, error) {
		list, err := st.Alerts.Query().Unresolved().List(ctx)
		if err != nil {
			return "", err
		}
		var out model.AlertKind
		for _, a := range list {
			if a.ChannelID != nil && *a.ChannelID == ch1 && (a.Kind == model.AlertBatteryLow || a.Kind == model.AlertBatteryCritical) {
				out = a.Kind
			}
		}
		return out, nil
	}
	waitBattery := func(what string, want model.AlertKind) {
		t.Helper()
		waitFor(t, 5*time.Second, what, func() error {
			k, err := battery()
			if err == nil && k != want {
				err = fmt.Errorf("battery alert %q, want %q", k, want)
			}
			return err
		})
	}

	op := logIn(t, base, "op", "operator-pass")
	op.get("/admin/assignments")
	form := url.Values{"performer": {fmt.Sprint(zoe.ID)}, "channel": {fmt.Sprint(ch1)}, "priority": {"normal"},
		"alert_battery_low": {"1"}, "alert_signal_loss": {"1"}, "battery_low_percent": {"80"}}
	if code, body := op.post("/admin/assignments", form); code != http.StatusOK {
		t.Fatalf("create: %d %.300s", code, body)
	}
	list, err := st.Assignments.Query().ByChannel(ch1).List(ctx)
	if err != nil || len(list) != 1 || list[0].BatteryLowPercent == nil {
		t.Fatalf("assignment not stored with its limit: %v %v", list, err)
	}
	waitBattery("battery_low once the assignment says low at 80 %", model.AlertBatteryLow)
	if tile, _ := srv.Board.Tile(ch1); tile.Status != model.StatusGood {
		t.Errorf("the tile is %s; the board's levels still say GOOD", tile.Status)
	}

	op.get(fmt.Sprintf("/admin/assignments?edit=%d", list[0].ID))
	form.Del("performer")
	form.Set("battery_low_percent", "")
	if code, body := op.post(fmt.Sprintf("/admin/assignments/%d", list[0].ID), form); code != http.StatusOK {
		t.Fatalf("edit: %d %.300s", code, body)
	}
	waitBattery("battery_low resolved once the limit is the default again", "")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
