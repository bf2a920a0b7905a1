package web_test

import (
	"regexp"
	"sort"
	"strconv"
	"testing"

	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/store/storetest"
	"micboard/app/web"
)

// TestHealthAgrees: on one fixture board the "N need attention" count, the
// ?status=attention filter and the store's WithLowBattery under the
// board's thresholds select the same channels, because all three read the
// one health definition in app/model.
func TestHealthAgrees(t *testing.T) {
	e := storetest.New(t)
	bat := []storetest.Battery{
		storetest.Bars(0), storetest.Bars(1), storetest.Bars(2), storetest.Bars(3), storetest.Bars(4), storetest.Bars(5),
		storetest.Pct(5), storetest.Pct(25), storetest.Pct(26), storetest.Pct(50), storetest.Pct(51), storetest.Pct(90),
		{Bars: storetest.Int(5), Percent: storetest.Int(10)}, storetest.Unknown,
	}
	on := e.Receiver(storetest.Rx{Name: "on", Online: true, Batteries: bat[:8]})
	on2 := e.Receiver(storetest.Rx{Name: "on2", Type: model.TypeEWDX, Vendor: model.VendorSennheiser, Online: true, Batteries: bat[8:]})
	off := e.Receiver(storetest.Rx{Name: "off", Online: false, Batteries: []storetest.Battery{storetest.Bars(5), storetest.Unknown}})
	// Minutes where the device reports them: 20 minutes is critical even at
	// 90 %, 45 minutes changes nothing.
	e.Exec("UPDATE transmitters SET battery_minutes = 20 WHERE id = ?", on2.Transmitters[3].ID)
	e.Exec("UPDATE transmitters SET battery_minutes = 45 WHERE id = ?", on2.Transmitters[2].ID)
	e.Exec("UPDATE transmitters SET last_seen_at = now()")

	board := live.NewBoard(live.Options{})
	if err := board.Load(e.Ctx, e.St); err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Deps{Config: testConfig(t), DB: e.DB, Store: e.St, Board: board, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}

	// The store: transmitters low under the board's thresholds, plus the
	// channels of offline receivers.
	low, err := e.St.Transmitters.Query().OnActiveReceivers().WithLowBattery(model.StatusThresholds).List(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, tx := range low {
		if tx.ChannelID != off.Transmitters[0].ChannelID && tx.ChannelID != off.Transmitters[1].ChannelID {
			want = append(want, tx.ChannelID)
		}
	}
	want = append(want, off.Transmitters[0].ChannelID, off.Transmitters[1].ChannelID)
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	// 0, 1, 2, 3 bars, 5 %, 25 %, 26 %, 50 %, 20 minutes, and two offline.
	if len(want) != 11 {
		t.Errorf("store selects %d channels, want 11: %v (on %d, on2 %d)", len(want), want, on.Receiver.ID, on2.Receiver.ID)
	}

	_, page := get(t, s, "/", nil)
	m := regexp.MustCompile(`data-attention="(\d+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the board shows no attention count")
	}
	if n, _ := strconv.Atoi(m[1]); n != len(want) {
		t.Errorf("board counts %d needing attention, the store %d", n, len(want))
	}
	_, filtered := get(t, s, "/?status=attention", nil)
	var got []int64
	for _, m := range regexp.MustCompile(`id="tile-(\d+)"`).FindAllStringSubmatch(filtered, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		got = append(got, id)
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	if len(got) != len(want) {
		t.Fatalf("the attention filter shows %v, the store selects %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("the attention filter shows %v, the store selects %v", got, want)
		}
	}
}
