package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"micboard/app/db"
	"micboard/app/db/dbtest"
	"micboard/app/live"
	"micboard/app/service"
	"micboard/app/store"
	"micboard/app/web"
)

// While PostgreSQL does not answer, the board, its grid, the channel panel
// and the wall displays keep working from the live board and the last good
// answers; what was never looked up answers 503 with a page a person can
// read, never 500.
func TestPagesSurviveDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	dbURL := dbtest.NewURL(t)
	bdb, err := db.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	st := store.New(bdb)
	loc, err := service.NewLocations(st).Create(ctx, service.LocationInput{Name: "Stage left"})
	if err != nil {
		t.Fatal(err)
	}
	rx, _, err := service.NewDevices(st).UpsertFromReport(ctx, service.DeviceReport{
		Vendor: "shure", Host: "10.0.0.5", Port: 2202, Model: "AD4Q", Name: "Rack A",
		Channels: []service.ChannelReport{{Number: 1, Name: "HH01 Fatai"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := service.NewLocations(st).AssignDevices(ctx, loc.ID, rx.ID); err != nil {
		t.Fatal(err)
	}
	board := live.NewBoard(live.Options{})
	if err := board.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	board.SetOnline(rx.ID, true)
	ch, _ := board.ChannelID(rx.ID, 1)
	if _, err := service.NewGroups(st).Save(ctx, 1, "Band", []int64{ch}); err != nil {
		t.Fatal(err)
	}
	kiosks := service.NewKiosks(st)
	_, token, err := kiosks.Create(ctx, service.KioskInput{Name: "Wings", ViewQuery: fmt.Sprintf("loc=%d", loc.ID)})
	if err != nil {
		t.Fatal(err)
	}
	_, unseen, err := kiosks.Create(ctx, service.KioskInput{Name: "Foyer"})
	if err != nil {
		t.Fatal(err)
	}
	deps := web.Deps{Config: testConfig(t), DB: bdb, Board: board, Store: st}
	s, err := web.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	cold, err := web.New(deps) // asks nothing before the outage
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{
		"/", fmt.Sprintf("/?loc=%d", loc.ID), "/?group=1", fmt.Sprintf("/board/grid?loc=%d", loc.ID),
		fmt.Sprintf("/channels/%d", ch), "/kiosk/" + token, "/kiosk/" + token + "/grid",
	}
	heartbeat := func() int {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/kiosk/"+token+"/heartbeat", nil))
		return rec.Code
	}
	html := map[string]string{"Accept": "text/html"}
	for _, p := range pages {
		if res, body := get(t, s, p, html); res.StatusCode != http.StatusOK || !showsFatai(body) {
			t.Fatalf("%s before the outage: %d", p, res.StatusCode)
		}
	}

	dbtest.Outage(t, dbURL)
	if err := bdb.PingContext(ctx); err == nil {
		t.Fatal("the database still answers")
	}
	for _, p := range pages {
		if res, body := get(t, s, p, html); res.StatusCode != http.StatusOK || !showsFatai(body) {
			t.Errorf("%s during the outage: %d %.200s", p, res.StatusCode, body)
		}
	}
	if code := heartbeat(); code != http.StatusNoContent {
		t.Errorf("heartbeat during the outage: %d", code)
	}
	// Nothing to fall back on: 503 with a page that says why.
	for _, c := range []struct {
		srv  *web.Server
		path string
	}{{s, "/kiosk/" + unseen}, {cold, fmt.Sprintf("/?loc=%d", loc.ID)}} {
		res, body := get(t, c.srv, c.path, html)
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "database is not answering") ||
			!strings.Contains(body, "<html") || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s without a fallback: %d, Retry-After %q, %.300s", c.path, res.StatusCode, res.Header.Get("Retry-After"), body)
		}
	}
	// The board itself needs no database: a cold server shows it without menus.
	if res, body := get(t, cold, "/", html); res.StatusCode != http.StatusOK || !showsFatai(body) {
		t.Errorf("cold board during the outage: %d", res.StatusCode)
	}
}

// showsFatai reports whether a page draws the tile of channel "HH01 Fatai"
// (slot and name are separate parts of the tile).
func showsFatai(body string) bool {
	return strings.Contains(body, `data-slot="HH01"`) && strings.Contains(body, `title="Fatai"`)
}
