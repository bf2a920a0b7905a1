package web_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"micboard/app/device"
)

// Twenty-five browsers on two views cost what one does: a meter sample never
// draws a tile, a state change draws it once, and every stream of a view
// receives the same bytes.
func TestStreamCostDoesNotGrowWithStreams(t *testing.T) {
	r := newBoardRig(t, "HH01 Fatai", "HH02 Bo", "HH03 Jun", "HH04 Ana")
	ts := httptest.NewServer(r.srv.Handler())
	t.Cleanup(ts.Close)
	var streams []*sseClient
	for i := 0; i < 25; i++ {
		path := fmt.Sprintf("/board/events?since=%d", r.board.Version())
		if i%5 == 0 {
			path = fmt.Sprintf("/board/events?sort=slot&since=%d", r.board.Version())
		}
		s := openStream(t, ts.URL, path)
		s.next(t, func(n string) bool { return n == "ping" })
		streams = append(streams, s)
	}
	if st := r.srv.StreamStats(); st.Open != 25 || st.Views != 2 {
		t.Fatalf("stats %+v, want 25 streams on 2 views", st)
	}
	before := r.srv.StreamStats().TileRenders

	// A second of fast metering on every channel.
	for i := 0; i < 20; i++ {
		for ch := 1; ch <= 4; ch++ {
			r.apply(ch, func(c *device.ChannelReading) {
				c.AudioLevelDBFS = device.Some(-50 + float64((i*7+ch*3)%40))
				c.RFLevelDBm = []float64{-90 + float64((i*5+ch)%50), -80}
			})
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i, s := range streams {
		if name, _ := s.next(t, func(n string) bool { return n != "ping" }); name != "meters" {
			t.Fatalf("stream %d got %s, want meters", i, name)
		}
	}
	if got := r.srv.StreamStats().TileRenders; got != before {
		t.Fatalf("meter samples drew %d tiles; want none", got-before)
	}

	// A pack counting down its minutes draws no tile either: the text
	// travels in the meter batch.
	r.apply(2, func(c *device.ChannelReading) { c.BatteryBars = device.Some(5); c.BatteryMinutes = device.Some(481) })
	for _, s := range streams {
		s.next(t, func(n string) bool { return strings.HasPrefix(n, "t") })
	}
	before = r.srv.StreamStats().TileRenders
	r.apply(2, func(c *device.ChannelReading) { c.BatteryMinutes = device.Some(480) })
	id2, _ := r.board.ChannelID(r.rx.ID, 2)
	for i, s := range streams {
		for {
			name, data := s.next(t, func(n string) bool { return n != "ping" })
			if name == fmt.Sprintf("t%d", id2) {
				t.Fatalf("stream %d got the whole tile for a minute less", i)
			}
			if name == "meters" && strings.Contains(data, fmt.Sprintf("%d ", id2)) && strings.Contains(data, "~8h_00m") {
				break
			}
		}
	}
	if got := r.srv.StreamStats().TileRenders; got != before {
		t.Fatalf("a minute less drew %d tiles; want none", got-before)
	}
	// Nor does a clip: its pulse is marked in the meter batch.
	r.apply(2, func(c *device.ChannelReading) { c.AudioPeak = device.Some(true) })
	for i, s := range streams {
		for {
			name, data := s.next(t, func(n string) bool { return n != "ping" })
			if name == fmt.Sprintf("t%d", id2) {
				t.Fatalf("stream %d got the whole tile for a clip", i)
			}
			if name == "meters" && strings.Contains(data, "~8h_00m !") {
				break
			}
		}
	}
	if got := r.srv.StreamStats().TileRenders; got != before {
		t.Fatalf("a clip drew %d tiles; want none", got-before)
	}

	// One state change: one tile drawn, the same bytes on every stream.
	id1, _ := r.board.ChannelID(r.rx.ID, 1)
	r.apply(1, func(c *device.ChannelReading) { c.BatteryBars = device.Some(1) })
	var first string
	for i, s := range streams {
		name, data := s.next(t, func(n string) bool { return n == fmt.Sprintf("t%d", id1) })
		if first == "" {
			first = data
		} else if data != first {
			t.Fatalf("stream %d got other bytes for %s", i, name)
		}
	}
	if got := r.srv.StreamStats().TileRenders - before; got != 1 {
		t.Fatalf("one state change drew %d tiles for 25 streams; want 1", got)
	}
	for _, s := range streams {
		s.cancel()
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.srv.StreamStats().Open != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("streams still open after their clients left: %+v", r.srv.StreamStats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// On a "worst first" board a tile that turns critical must rise: the
// stream asks the page to re-draw its grid instead of swapping the tile in
// place, and the grid has it first.
func TestSeverityOrderedStreamRedrawsWhenATileMoves(t *testing.T) {
	r := newBoardRig(t, "HH01 Fatai", "HH02 Bo", "HH03 Jun")
	for ch := 1; ch <= 3; ch++ {
		r.apply(ch, func(c *device.ChannelReading) { c.BatteryBars = device.Some(5) })
	}
	ts := httptest.NewServer(r.srv.Handler())
	t.Cleanup(ts.Close)
	s := openStream(t, ts.URL, fmt.Sprintf("/board/events?sort=severity&since=%d", r.board.Version()))
	s.next(t, func(n string) bool { return n == "ping" })

	r.apply(3, func(c *device.ChannelReading) { c.BatteryBars = device.Some(1) })
	if name, _ := s.next(t, func(n string) bool { return n != "ping" && n != "meters" }); name != "resync" {
		t.Fatalf("got %s, want resync", name)
	}
	_, grid := get(t, r.srv, "/board/grid?sort=severity", nil)
	first := strings.Index(grid, `data-slot="HH03"`)
	if first < 0 || first > strings.Index(grid, `data-slot="HH01"`) {
		t.Fatalf("HH03 (critical) is not first on a worst-first grid")
	}
	// A change that keeps its rank swaps the tile in place.
	id3, _ := r.board.ChannelID(r.rx.ID, 3)
	r.apply(3, func(c *device.ChannelReading) { c.TxModel = device.Some("AD2") })
	if name, _ := s.next(t, func(n string) bool { return n != "ping" && n != "meters" }); name != fmt.Sprintf("t%d", id3) {
		t.Fatalf("got %s, want the tile", name)
	}
}
