package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/cluster"
	"micboard/app/db/dbtest"
	"micboard/app/device"
	"micboard/app/live"
	"micboard/app/store"
)

// instance is a board with its relay and listener, as one server has.
type instance struct {
	board *live.Board
	relay *cluster.Relay
}

func startRelay(t *testing.T, bdb *bun.DB, id string, owns func(int64) bool) *instance {
	t.Helper()
	return startRelayAlone(t, bdb, id, owns, nil)
}

func startRelayAlone(t *testing.T, bdb *bun.DB, id string, owns func(int64) bool, alone func() bool) *instance {
	t.Helper()
	st := store.New(bdb)
	ctx, cancel := context.WithCancel(context.Background())
	b := live.NewBoard(live.Options{})
	if err := b.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	r := cluster.NewRelay(cluster.RelayOptions{Store: st, Board: b, Origin: id, Owns: owns, Alone: alone})
	l := &cluster.Listener{DB: bdb.DB}
	r.Attach(l)
	listening := make(chan struct{})
	l.Connected = func(ctx context.Context, first bool) {
		if first {
			close(listening)
		}
		r.AskResync(ctx)
	}
	done := make(chan struct{}, 2)
	go func() { r.Run(ctx); done <- struct{}{} }()
	go func() { l.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	select {
	case <-listening:
	case <-time.After(5 * time.Second):
		t.Fatal("the listener did not connect")
	}
	return &instance{board: b, relay: r}
}

// listen runs a listener with what attach registers on it until ctx ends,
// and returns once it listens.
func listen(t *testing.T, ctx context.Context, bdb *bun.DB, attach func(l *cluster.Listener)) {
	t.Helper()
	l := &cluster.Listener{DB: bdb.DB}
	attach(l)
	ready := make(chan struct{})
	l.Connected = func(context.Context, bool) {
		select {
		case <-ready:
		default:
			close(ready)
		}
	}
	go l.Run(ctx)
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("the listener did not connect")
	}
}

// withChannels gives each receiver four channels.
func withChannels(t *testing.T, bdb *bun.DB, rxs []int64) {
	t.Helper()
	for _, rx := range rxs {
		for n := 1; n <= 4; n++ {
			if _, err := bdb.NewRaw("INSERT INTO channels (receiver_id, number, name) VALUES (?, ?, ?)", rx, n, fmt.Sprintf("HH%02d", n)).Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestRelayCarriesStateAndThrottledMeters(t *testing.T) {
	bdb := dbtest.New(t)
	rxs := fleet(t, bdb, 2)
	withChannels(t, bdb, rxs)
	// A watches the first receiver, B the second.
	a := startRelay(t, bdb, "a", func(id int64) bool { return id == rxs[0] })
	b := startRelay(t, bdb, "b", func(id int64) bool { return id == rxs[1] })

	ch, ok := b.board.ChannelID(rxs[0], 2)
	if !ok {
		t.Fatal("B's board lacks A's receiver")
	}
	// A state change on A reaches B's board within a second.
	start := time.Now()
	a.board.Apply(rxs[0], device.Reading{Channels: map[int]*device.ChannelReading{
		2: {Name: device.Some("HH02 Zoe"), BatteryBars: device.Some(1), RFLevelDBm: []float64{-60}},
	}})
	waitTile(t, b.board, ch, time.Second, func(tl live.Tile) bool {
		return tl.Name == "Zoe" && tl.Battery.Bars != nil && *tl.Battery.Bars == 1
	})
	t.Logf("state change reached the other instance in %s", time.Since(start).Round(time.Millisecond))

	// B's change does not go back to A's owner and A's does not echo: A's
	// board keeps its own value when B hears of it.
	if tl, _ := a.board.Tile(ch); tl.Name != "Zoe" {
		t.Errorf("A's own tile changed to %q", tl.Name)
	}

	// A receiver going offline on A is offline on B, since the same moment.
	a.board.SetOnline(rxs[0], false)
	down, _ := a.board.Tile(ch)
	waitTile(t, b.board, ch, time.Second, func(tl live.Tile) bool {
		return !tl.Online && tl.OfflineSince != nil && down.OfflineSince != nil && tl.OfflineSince.Equal(*down.OfflineSince)
	})
	a.board.SetOnline(rxs[0], true)
	waitTile(t, b.board, ch, time.Second, func(tl live.Tile) bool { return tl.Online && tl.OfflineSince == nil })

	// A change on a receiver A does not watch is never sent by A.
	chB, _ := a.board.ChannelID(rxs[1], 1)
	a.board.Apply(rxs[1], device.Reading{Channels: map[int]*device.ChannelReading{1: {Name: device.Some("HH01 Wrong")}}})
	time.Sleep(400 * time.Millisecond)
	if tl, _ := b.board.Tile(chB); tl.Name == "Wrong" {
		t.Error("an instance relayed a receiver it does not watch")
	}

	// Meters at 20 a second arrive at most four times a second.
	sent := a.relay.Stats().Sent
	stop := time.Now().Add(time.Second)
	for i := 0; time.Now().Before(stop); i++ {
		a.board.Apply(rxs[0], device.Reading{Channels: map[int]*device.ChannelReading{
			2: {AudioLevelDBFS: device.Some(-40 + float64(i%10)), RFLevelDBm: []float64{-60 - float64(i%5)}},
		}})
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	meters := a.relay.Stats().Sent - sent
	if meters < 2 || meters > 6 {
		t.Errorf("one channel metered 20 times in a second was relayed %d times, want about 4 (at most 4 a second)", meters)
	}
	waitTile(t, b.board, ch, time.Second, func(tl live.Tile) bool {
		want, _ := a.board.Tile(ch)
		return tl.AudioDBFS != nil && want.AudioDBFS != nil && *tl.AudioDBFS == *want.AudioDBFS
	})
}

func TestRelayBatchesUnderPayloadLimit(t *testing.T) {
	bdb := dbtest.New(t)
	rxs := fleet(t, bdb, 60)
	withChannels(t, bdb, rxs)
	all := func(int64) bool { return true }
	a := startRelay(t, bdb, "a", all)
	b := startRelay(t, bdb, "b", func(int64) bool { return false })

	// 240 channels change at once, with long names: many payloads, each
	// under the limit (PostgreSQL refuses a longer one, so nothing would
	// arrive).
	for i, rx := range rxs {
		chans := map[int]*device.ChannelReading{}
		for n := 1; n <= 4; n++ {
			chans[n] = &device.ChannelReading{Name: device.Some(fmt.Sprintf("HH%02d Performer with a long name %03d", n, i)),
				BatteryBars: device.Some(3), RFLevelDBm: []float64{-55, -61}, AudioLevelDBFS: device.Some(-20.5)}
		}
		a.board.Apply(rx, device.Reading{Channels: chans})
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if b.relay.Stats().Received >= 240 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	st := a.relay.Stats()
	if got := b.relay.Stats().Received; got < 240 {
		t.Fatalf("B received %d channel updates, want 240 (A sent %d in %d payloads)", got, st.Sent, st.Payloads)
	}
	if st.Payloads < 2 {
		t.Errorf("240 channels went in %d payload(s): they cannot fit one", st.Payloads)
	}
	last, _ := b.board.ChannelID(rxs[59], 4)
	if tl, _ := b.board.Tile(last); tl.Name != "Performer with a long name 059" {
		t.Errorf("last channel on B = %q", tl.Name)
	}
}

func TestRelayResyncFillsANewInstance(t *testing.T) {
	bdb := dbtest.New(t)
	rxs := fleet(t, bdb, 1)
	withChannels(t, bdb, rxs)
	a := startRelay(t, bdb, "a", func(int64) bool { return true })
	a.board.Apply(rxs[0], device.Reading{Channels: map[int]*device.ChannelReading{3: {Name: device.Some("HH03 Ada"), BatteryBars: device.Some(2)}}})
	time.Sleep(300 * time.Millisecond)
	// B starts after the change: its board was read from the database
	// (nothing persisted here), and its resync asks A for the rest.
	b := startRelay(t, bdb, "b", func(int64) bool { return false })
	ch, _ := b.board.ChannelID(rxs[0], 3)
	waitTile(t, b.board, ch, 2*time.Second, func(tl live.Tile) bool { return tl.Name == "Ada" })
}

func waitTile(t *testing.T, b *live.Board, ch int64, within time.Duration, ok func(live.Tile) bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		tl, found := b.Tile(ch)
		if found && ok(tl) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("channel %d not as expected within %s: %+v", ch, within, tl)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReloaderShowsSettingsChangedAnywhere(t *testing.T) {
	bdb := dbtest.New(t)
	rxs := fleet(t, bdb, 1)
	withChannels(t, bdb, rxs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := store.New(bdb)
	b := live.NewBoard(live.Options{})
	if err := b.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	r := &cluster.Reloader{Store: st, Board: b}
	listen(t, ctx, bdb, r.Attach)
	go r.Run(ctx)
	ch, _ := b.ChannelID(rxs[0], 1)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := bdb.NewRaw(q, args...).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// An assignment stored by any instance names the performer on the tile.
	var perf int64
	if err := bdb.NewRaw("INSERT INTO performers (name) VALUES ('Zoe') RETURNING id").Scan(ctx, &perf); err != nil {
		t.Fatal(err)
	}
	exec("INSERT INTO assignments (performer_id, channel_id) VALUES (?, ?)", perf, ch)
	waitTile(t, b, ch, 2*time.Second, func(tl live.Tile) bool { return tl.Performer == "Zoe" && tl.Assigned })
	// A performer renamed: the tile follows.
	exec("UPDATE performers SET name = 'Zoë' WHERE id = ?", perf)
	waitTile(t, b, ch, 2*time.Second, func(tl live.Tile) bool { return tl.Performer == "Zoë" })
	// The assignment ended.
	exec("UPDATE assignments SET active = false WHERE channel_id = ?", ch)
	waitTile(t, b, ch, 2*time.Second, func(tl live.Tile) bool { return tl.Performer == "" && !tl.Assigned })
	// The receiver renamed in the console.
	exec("UPDATE receivers SET name = 'Stage left' WHERE id = ?", rxs[0])
	waitTile(t, b, ch, 2*time.Second, func(tl live.Tile) bool { return tl.ReceiverName == "Stage left" })
	// Deactivated: off the board.
	exec("UPDATE receivers SET active = false WHERE id = ?", rxs[0])
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, ok := b.Tile(ch); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a deactivated receiver is still on the board")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Device-side writes notify nothing: the persister's name and status
	// writes travel on the board channel instead.
	n := 0
	got := make(chan string, 10)
	listen(t, ctx, bdb, func(l *cluster.Listener) {
		l.Handle("micboard_receivers", func(_ context.Context, p string) { got <- p })
	})
	exec("UPDATE channels SET name = 'HH01 Live', frequency_khz = 500000 WHERE id = ?", ch)
	exec("UPDATE receivers SET online = true, status = 'online', last_seen_at = now() WHERE id = ?", rxs[0])
	timeout := time.After(300 * time.Millisecond)
wait:
	for {
		select {
		case <-got:
			n++
		case <-timeout:
			break wait
		}
	}
	if n != 0 {
		t.Errorf("device-side writes sent %d receiver notifications, want none", n)
	}
}

func TestRelayAloneSendsNothingUntilAnotherInstanceAsks(t *testing.T) {
	bdb := dbtest.New(t)
	rxs := fleet(t, bdb, 1)
	withChannels(t, bdb, rxs)
	alone := func() bool { return true } // the keeper has seen no other instance
	a := startRelayAlone(t, bdb, "a", func(int64) bool { return true }, alone)
	for i := range 10 {
		a.board.Apply(rxs[0], device.Reading{Channels: map[int]*device.ChannelReading{
			1: {Name: device.Some("HH01 Solo"), AudioLevelDBFS: device.Some(-30 + float64(i))},
		}})
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if n := a.relay.Stats().Sent; n != 0 {
		t.Errorf("an instance on its own relayed %d updates, want none", n)
	}
	// Another starts: its request for the board is company enough.
	b := startRelay(t, bdb, "b", func(int64) bool { return false })
	ch, _ := b.board.ChannelID(rxs[0], 1)
	waitTile(t, b.board, ch, 2*time.Second, func(tl live.Tile) bool { return tl.Name == "Solo" })
	a.board.Apply(rxs[0], device.Reading{Channels: map[int]*device.ChannelReading{1: {BatteryBars: device.Some(2)}}})
	waitTile(t, b.board, ch, time.Second, func(tl live.Tile) bool { return tl.Battery.Bars != nil && *tl.Battery.Bars == 2 })
}
