package live_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"micboard/app/db"
	"micboard/app/db/dbtest"
	"micboard/app/device"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a hand-moved clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T) (*store.Store, *model.Receiver, *live.Board, *clock) {
	t.Helper()
	st := store.New(dbtest.New(t))
	f := 470125
	rx, _, err := service.NewDevices(st).UpsertFromReport(context.Background(), service.DeviceReport{
		Vendor: "shure", Host: "127.0.0.1", Port: 2202, Model: "ULXD4D", Name: "Rack A",
		Channels: []service.ChannelReport{{Number: 1, Name: "HH01 Fatai", FrequencyKHz: &f}, {Number: 2, Name: "BP02_Ana"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)}
	b := live.NewBoard(live.Options{Now: clk.Now})
	if err := b.Load(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return st, rx, b, clk
}

func reading(at time.Time, ch int, fill func(*device.ChannelReading)) device.Reading {
	r := device.Reading{At: at}
	fill(r.Channel(ch))
	return r
}

func TestLoadBuildsTilesFromTheDatabase(t *testing.T) {
	t.Parallel()
	_, rx, b, _ := setup(t)
	tiles := b.Tiles()
	if len(tiles) != 2 {
		t.Fatalf("tiles = %d", len(tiles))
	}
	t1 := tiles[0]
	if t1.ReceiverID != rx.ID || t1.Number != 1 || t1.Slot != "HH01" || t1.Name != "Fatai" || t1.ReceiverName != "Rack A" ||
		t1.Vendor != "shure" || t1.FrequencyKHz == nil || *t1.FrequencyKHz != 470125 {
		t.Fatalf("tile 1 = %+v", t1)
	}
	if tiles[1].Slot != "BP02" || tiles[1].Name != "Ana" {
		t.Fatalf("tile 2 slot/name = %q/%q", tiles[1].Slot, tiles[1].Name)
	}
	if t1.Status != model.StatusRxOffline {
		t.Fatalf("a receiver never heard is offline, got %s", t1.Status)
	}
}

func TestApplyDerivesStatusAndPublishes(t *testing.T) {
	t.Parallel()
	_, rx, b, clk := setup(t)
	sub := b.Subscribe()
	defer sub.Close()
	id, _ := b.ChannelID(rx.ID, 1)

	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) {
		c.BatteryBars = device.Some(5)
		c.BatteryMinutes = device.Some(480)
		c.RFLevelDBm = []float64{-60, -72}
		c.AudioLevelDBFS = device.Some(-18.0)
	}))
	tile, _ := b.Tile(id)
	if tile.Status != model.StatusGood || !tile.Online || *tile.Battery.Bars != 5 {
		t.Fatalf("after 5 bars: %s online=%v", tile.Status, tile.Online)
	}
	if v, _ := tile.RFMax(); v != -60 {
		t.Fatalf("rf max = %v", v)
	}
	select {
	case <-sub.Ready():
	default:
		t.Fatal("no notification")
	}
	changes := sub.Take()
	if changes[id]&live.ChangeState == 0 || changes[id]&live.ChangeMeter == 0 {
		t.Fatalf("changes = %v", changes)
	}

	// A meter-only update is a meter change, not a state change.
	clk.Add(time.Second)
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) { c.AudioLevelDBFS = device.Some(-12.0) }))
	if c := sub.Take()[id]; c != live.ChangeMeter {
		t.Fatalf("meter update published %v", c)
	}

	// The pack counts down a minute: its runtime moved, nothing else it
	// draws did, so it is no state change (the stream sends the text with
	// the meters). Bars and minutes moving together are.
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) { c.BatteryMinutes = device.Some(479) }))
	if c := sub.Take()[id]; c != live.ChangeRuntime {
		t.Fatalf("a minute less published %v, want runtime only", c)
	}
	if tile, _ := b.Tile(id); *tile.Battery.Minutes != 479 {
		t.Fatalf("minutes = %d", *tile.Battery.Minutes)
	}
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) {
		c.BatteryBars = device.Some(4)
		c.BatteryMinutes = device.Some(380)
	}))
	if c := sub.Take()[id]; c&live.ChangeState == 0 {
		t.Fatalf("a bar less published %v, want a state change", c)
	}
	// A percent that moves within the same bars is the same kind of change.
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) { c.BatteryPercent = device.Some(70) }))
	sub.Take()
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) { c.BatteryPercent = device.Some(69) }))
	if c := sub.Take()[id]; c != live.ChangeRuntime {
		t.Fatalf("a percent less within 4 bars published %v, want runtime only", c)
	}

	// Battery drains to one bar: CRITICAL.
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) { c.BatteryBars = device.Some(1) }))
	if tile, _ := b.Tile(id); tile.Status != model.StatusCritical {
		t.Fatalf("1 bar: %s", tile.Status)
	}

	// Transmitter off (255): striped at the last level, then TX_OFF after 30 min.
	clk.Add(time.Minute)
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) {
		c.BatteryBars = device.Unknown[int]()
		c.BatteryPercent = device.Unknown[int]()
		c.BatteryMinutes = device.Unknown[int]()
		c.BatteryRuntime = device.RuntimeUnknown
	}))
	tile, _ = b.Tile(id)
	if tile.Status != model.StatusPrevCritical || tile.Battery.Known() {
		t.Fatalf("tx off: %s known=%v", tile.Status, tile.Battery.Known())
	}
	clk.Add(31 * time.Minute)
	b.Tick()
	if tile, _ := b.Tile(id); tile.Status != model.StatusTxOff {
		t.Fatalf("30 min silent: %s", tile.Status)
	}
}

func TestPeakPulsesForTenSeconds(t *testing.T) {
	t.Parallel()
	_, rx, b, clk := setup(t)
	id, _ := b.ChannelID(rx.ID, 2)
	b.Apply(rx.ID, reading(clk.Now(), 2, func(c *device.ChannelReading) {
		c.BatteryBars = device.Some(4)
		c.AudioPeak = device.Some(true)
	}))
	if tile, _ := b.Tile(id); tile.Status != model.StatusAudioPeak {
		t.Fatalf("clip: %s", tile.Status)
	}
	// The pulse starting and ending over the same colour is drawn with the
	// meters: no state change either way.
	sub := b.Subscribe()
	defer sub.Close()
	clk.Add(time.Second)
	b.Apply(rx.ID, reading(clk.Now(), 2, func(c *device.ChannelReading) { c.AudioPeak = device.Some(true) }))
	if c := sub.Take()[id]; c != live.ChangeMeter {
		t.Fatalf("a clip during a clip published %v", c)
	}
	clk.Add(11 * time.Second)
	b.Tick()
	if tile, _ := b.Tile(id); tile.Status != model.StatusGood {
		t.Fatalf("after the clip: %s", tile.Status)
	}
	if c := sub.Take()[id]; c != live.ChangeMeter {
		t.Fatalf("the pulse ending published %v, want a meter change", c)
	}
	b.Apply(rx.ID, reading(clk.Now(), 2, func(c *device.ChannelReading) { c.AudioPeak = device.Some(true) }))
	if c := sub.Take()[id]; c != live.ChangeMeter {
		t.Fatalf("a new clip published %v, want a meter change", c)
	}
	// A clip over a colour that moves is a state change.
	b.Apply(rx.ID, reading(clk.Now(), 2, func(c *device.ChannelReading) { c.BatteryBars = device.Some(1) }))
	if c := sub.Take()[id]; c&live.ChangeState == 0 {
		t.Fatalf("battery critical during a clip published %v", c)
	}
}

func TestOfflineAndNamesAndUnknownChannels(t *testing.T) {
	t.Parallel()
	_, rx, b, clk := setup(t)
	id, _ := b.ChannelID(rx.ID, 1)
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) { c.BatteryBars = device.Some(4) }))
	down := clk.Now()
	b.SetOnline(rx.ID, false)
	for _, tile := range b.Tiles() {
		if tile.Status != model.StatusRxOffline {
			t.Fatalf("offline receiver tile %d: %s", tile.Number, tile.Status)
		}
		if tile.OfflineSince == nil || !tile.OfflineSince.Equal(down) {
			t.Fatalf("offline receiver tile %d: offline since %v, want %v", tile.Number, tile.OfflineSince, down)
		}
	}
	clk.Add(time.Minute)
	b.SetOnline(rx.ID, false) // still down: still since then
	if tile, _ := b.Tile(id); tile.OfflineSince == nil || !tile.OfflineSince.Equal(down) {
		t.Fatalf("offline since moved to %v", tile.OfflineSince)
	}
	unknown := b.Apply(rx.ID, func() device.Reading {
		r := device.Reading{At: clk.Now()}
		r.Channel(1).Name = device.Some("HH07 <b>Zoë</b>")
		r.Channel(3).BatteryBars = device.Some(5)
		return r
	}())
	if len(unknown) != 1 || unknown[0] != 3 {
		t.Fatalf("unknown channels = %v", unknown)
	}
	tile, _ := b.Tile(id)
	if tile.Slot != "HH07" || tile.Name != "<b>Zoë</b>" || tile.Status != model.StatusGood {
		t.Fatalf("rename: %q %q %s", tile.Slot, tile.Name, tile.Status)
	}
	if tile.OfflineSince != nil {
		t.Fatalf("a receiver heard again is still offline since %v", tile.OfflineSince)
	}
}

func TestSlowSubscriberNeverBlocksAndCoalesces(t *testing.T) {
	t.Parallel()
	_, rx, b, clk := setup(t)
	slow := b.Subscribe() // never read until the end
	defer slow.Close()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 10000; i++ {
			b.Apply(rx.ID, reading(clk.Now(), 1+i%2, func(c *device.ChannelReading) { c.AudioLevelDBFS = device.Some(float64(-i % 50)) }))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("publishing blocked on a subscriber that does not read")
	}
	if got := slow.Take(); len(got) != 2 {
		t.Fatalf("coalesced pending = %d channels, want 2", len(got))
	}
	if b.Subscribers() != 1 {
		t.Fatalf("subscribers = %d", b.Subscribers())
	}
}

func TestHistoryKeepsOnePointPerStep(t *testing.T) {
	t.Parallel()
	_, rx, b, clk := setup(t)
	id, _ := b.ChannelID(rx.ID, 1)
	for i := 0; i < 400; i++ { // 400 s at one reading per second
		b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) {
			c.BatteryBars = device.Some(5 - i/100)
			c.RFLevelDBm = []float64{float64(-50 - i%10)}
		}))
		clk.Add(time.Second)
	}
	pts := b.History(id)
	if len(pts) != 40 {
		t.Fatalf("points = %d, want 40 (one per 10 s)", len(pts))
	}
	if *pts[0].BatteryBars != 5 || *pts[len(pts)-1].BatteryBars != 2 || pts[0].RFDBm == nil {
		t.Fatalf("first/last = %+v / %+v", pts[0], pts[len(pts)-1])
	}
	for i := 1; i < len(pts); i++ {
		if !pts[i].At.After(pts[i-1].At) {
			t.Fatal("history out of order")
		}
	}
}

func TestPersisterWritesCoalescedBatches(t *testing.T) {
	t.Parallel()
	st, rx, b, clk := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	p := &live.Persister{Board: b, Store: st, StateEvery: 50 * time.Millisecond, MeterEvery: time.Hour}
	go func() { p.Run(ctx); close(done) }()
	time.Sleep(20 * time.Millisecond) // let it subscribe

	id, _ := b.ChannelID(rx.ID, 1)
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) {
		c.Name = device.Some("HH01 Renamed")
		c.BatteryBars = device.Some(2)
		c.TxModel = device.Some("ULXD2")
	}))
	waitFor(t, func() bool {
		tx, err := st.Transmitters.ByChannel(context.Background(), id)
		return err == nil && tx.BatteryBars != nil && *tx.BatteryBars == 2 && tx.Status == string(model.StatusCritical)
	})
	ch, _ := st.Channels.Get(context.Background(), id)
	if ch.Name != "HH01 Renamed" {
		t.Fatalf("channel name stored = %q", ch.Name)
	}
	// Meters alone wait for the meter interval (an hour here)...
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) { c.AudioLevelDBFS = device.Some(-7.0) }))
	time.Sleep(200 * time.Millisecond)
	tx, _ := st.Transmitters.ByChannel(context.Background(), id)
	if tx.AudioLevelDBFS != nil && *tx.AudioLevelDBFS == -7 {
		t.Fatal("a meter value was written before the meter interval")
	}
	// ...and are flushed on shutdown.
	cancel()
	<-done
	tx, _ = st.Transmitters.ByChannel(context.Background(), id)
	if tx.AudioLevelDBFS == nil || *tx.AudioLevelDBFS != -7 {
		t.Fatalf("meter not flushed on shutdown: %v", tx.AudioLevelDBFS)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("condition not met within 5 s")
}

func TestChangesSinceFollowsTheJournal(t *testing.T) {
	t.Parallel()
	_, rx, b, clk := setup(t)
	start := b.Version()
	id1, _ := b.ChannelID(rx.ID, 1)
	id2, _ := b.ChannelID(rx.ID, 2)
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) { c.AudioLevelDBFS = device.Some(-20.0) }))
	b.Apply(rx.ID, reading(clk.Now(), 2, func(c *device.ChannelReading) { c.BatteryBars = device.Some(1) }))

	got := map[int64]live.Change{}
	next, complete := b.ChangesSince(start, func(id int64, c live.Change) { got[id] |= c })
	if !complete || next != b.Version() {
		t.Fatalf("complete=%v next=%d version=%d", complete, next, b.Version())
	}
	// The first reading brought the receiver online (a state change for
	// both tiles); then a meter on 1 and a battery on 2.
	if got[id1]&live.ChangeMeter == 0 || got[id2]&live.ChangeState == 0 {
		t.Fatalf("changes = %v", got)
	}
	// Nothing new: nothing reported.
	n := 0
	if _, ok := b.ChangesSince(next, func(int64, live.Change) { n++ }); !ok || n != 0 {
		t.Fatalf("no news reported %d changes", n)
	}
	// A reader from the future (a page drawn before a restart) must re-sync.
	if _, ok := b.ChangesSince(next+100, func(int64, live.Change) {}); ok {
		t.Fatal("a version from the future counted as complete")
	}
	// A reader that fell more than the journal behind must re-sync.
	for i := 0; i < 70000; i++ {
		b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) { c.AudioLevelDBFS = device.Some(float64(-i % 60)) }))
	}
	if _, ok := b.ChangesSince(next, func(int64, live.Change) {}); ok {
		t.Fatal("a reader 70,000 changes behind was not told to re-sync")
	}
}

// While PostgreSQL is away the persister keeps what changed (bounded by the
// board: one entry per channel) and writes it when the database returns.
func TestPersisterKeepsChangesThroughAnOutage(t *testing.T) {
	ctx := context.Background()
	dbURL := dbtest.NewURL(t)
	bdb, err := db.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	st := store.New(bdb)
	rx, _, err := service.NewDevices(st).UpsertFromReport(ctx, service.DeviceReport{
		Vendor: "shure", Host: "127.0.0.1", Port: 2202, Model: "ULXD4D", Name: "Rack A",
		Channels: []service.ChannelReport{{Number: 1, Name: "HH01 Fatai"}, {Number: 2, Name: "BP02_Ana"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := live.NewBoard(live.Options{})
	if err := b.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	p := &live.Persister{Board: b, Store: st, StateEvery: 50 * time.Millisecond, MeterEvery: time.Hour, Logger: quietLog}
	go func() { p.Run(pctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	time.Sleep(20 * time.Millisecond) // let it subscribe

	restore := dbtest.Outage(t, dbURL)
	for bars := 5; bars >= 1; bars-- {
		b.Apply(rx.ID, reading(time.Now(), 1, func(c *device.ChannelReading) { c.BatteryBars = device.Some(bars) }))
		b.Apply(rx.ID, reading(time.Now(), 2, func(c *device.ChannelReading) { c.BatteryBars = device.Some(bars) }))
		time.Sleep(60 * time.Millisecond) // a write is tried, and fails, between changes
	}
	restore()
	for ch := 1; ch <= 2; ch++ {
		id, _ := b.ChannelID(rx.ID, ch)
		waitFor(t, func() bool {
			tx, err := st.Transmitters.ByChannel(ctx, id)
			return err == nil && tx.BatteryBars != nil && *tx.BatteryBars == 1
		})
	}
}

// A reused snapshot buffer gives the same snapshots as a fresh one, and
// never shares its RF slices with the board: a later reading must not
// change a snapshot taken before it, nor a reused buffer the board.
func TestTilesByIDIntoReusesItsBuffer(t *testing.T) {
	t.Parallel()
	_, rx, b, clk := setup(t)
	id1, _ := b.ChannelID(rx.ID, 1)
	id2, _ := b.ChannelID(rx.ID, 2)
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) { c.RFLevelDBm = []float64{-60, -70} }))
	b.Apply(rx.ID, reading(clk.Now(), 2, func(c *device.ChannelReading) { c.RFLevelDBm = []float64{-80} }))

	buf := b.TilesByIDInto(nil, []int64{id1, id2, 999999})
	if len(buf) != 2 || buf[0].ChannelID != id1 || buf[1].ChannelID != id2 {
		t.Fatalf("first snapshots: %d tiles", len(buf))
	}
	first := append([]float64(nil), buf[0].RFLevelDBm...)
	buf[0].RFLevelDBm[0] = 0 // a reader scribbling on its snapshot
	if tile, _ := b.Tile(id1); tile.RFLevelDBm[0] != -60 {
		t.Fatalf("the board's RF changed with the snapshot: %v", tile.RFLevelDBm)
	}

	clk.Add(time.Second)
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) { c.RFLevelDBm = []float64{-50, -55} }))
	again := b.TilesByIDInto(buf, []int64{id2, id1})
	fresh := b.TilesByID([]int64{id2, id1})
	if len(again) != 2 || again[0].ChannelID != id2 || again[1].ChannelID != id1 {
		t.Fatalf("second snapshots in the wrong order: %+v", again)
	}
	for i := range fresh {
		if !slices.Equal(again[i].RFLevelDBm, fresh[i].RFLevelDBm) || again[i].StateVersion != fresh[i].StateVersion {
			t.Errorf("reused snapshot %d: RF %v, fresh %v", i, again[i].RFLevelDBm, fresh[i].RFLevelDBm)
		}
	}
	if !slices.Equal(first, []float64{-60, -70}) || !slices.Equal(again[1].RFLevelDBm, []float64{-50, -55}) {
		t.Errorf("RF before %v, after %v", first, again[1].RFLevelDBm)
	}
}
