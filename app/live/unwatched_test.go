package live_test

import (
	"testing"
	"time"

	"micboard/app/device"
	"micboard/app/live"
)

// A receiver nobody watches keeps its last state on the board: the status
// counts and alerts read does not move, the mark is a state change (the
// streams send the tile again), and any word from a watcher clears it.
func TestUnwatchedKeepsStateUntilAWatcherSpeaks(t *testing.T) {
	_, rx, b, clk := setup(t)
	b.Apply(rx.ID, reading(clk.Now(), 1, func(c *device.ChannelReading) { c.BatteryBars = device.Some(1) }))
	ch, _ := b.ChannelID(rx.ID, 1)
	before, _ := b.Tile(ch)
	sub := b.Subscribe()
	defer sub.Close()
	since := time.Date(2026, 11, 26, 19, 59, 55, 0, time.UTC)

	b.SetUnwatched([]int64{rx.ID}, since)
	tl, _ := b.Tile(ch)
	if tl.UnwatchedSince == nil || !tl.UnwatchedSince.Equal(since) {
		t.Fatalf("unwatched since %v, want %s", tl.UnwatchedSince, since)
	}
	if tl.Status != before.Status || tl.Online != before.Online {
		t.Errorf("status %s online %v once unwatched, want %s %v unchanged", tl.Status, tl.Online, before.Status, before.Online)
	}
	if got := sub.Take(); got[ch]&live.ChangeState == 0 {
		t.Errorf("the mark published %v for channel %d, want a state change", got, ch)
	}
	// Marked again: the first since stays, nothing is published.
	b.SetUnwatched([]int64{rx.ID}, since.Add(time.Minute))
	if tl, _ := b.Tile(ch); !tl.UnwatchedSince.Equal(since) {
		t.Errorf("marked again: since %s, want the first %s", tl.UnwatchedSince, since)
	}
	if got := sub.Take(); len(got) != 0 {
		t.Errorf("marked again published %v, want nothing", got)
	}

	for _, c := range []struct {
		name  string
		clear func()
	}{
		{"a reading", func() { b.Apply(rx.ID, device.Reading{At: clk.Now()}) }},
		{"a relayed state", func() { b.ApplyRemote([]live.Remote{live.RemoteOf(&before, true)}) }},
		{"a relayed meter", func() { b.ApplyRemote([]live.Remote{live.RemoteOf(&before, false)}) }},
		{"the monitor's offline", func() { b.SetOnline(rx.ID, false) }},
		{"the keeper", func() { b.SetWatched([]int64{rx.ID}) }},
	} {
		b.SetUnwatched([]int64{rx.ID}, since)
		sub.Take()
		c.clear()
		if tl, _ := b.Tile(ch); tl.UnwatchedSince != nil {
			t.Errorf("still unwatched after %s", c.name)
		}
		if got := sub.Take(); got[ch]&live.ChangeState == 0 {
			t.Errorf("clearing by %s published %v, want a state change", c.name, got)
		}
	}
}
