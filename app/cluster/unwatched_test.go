package cluster_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device"
	"micboard/app/live"
	"micboard/app/store"
)

// unwatchedOn lists the receivers with a channel marked unwatched on a
// board.
func unwatchedOn(b *live.Board) map[int64]time.Time {
	out := map[int64]time.Time{}
	for _, tl := range b.Tiles() {
		if tl.UnwatchedSince != nil {
			out[tl.ReceiverID] = *tl.UnwatchedSince
		}
	}
	return out
}

// loadedBoard is a board holding every receiver of the database.
func loadedBoard(t *testing.T, st *store.Store) *live.Board {
	t.Helper()
	b := live.NewBoard(live.Options{})
	if err := b.Load(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return b
}

// When an instance dies, the survivor marks the dead one's receivers
// unwatched within about two renewals, before their leases lapse to the
// survivor, and clears each mark once it holds the receiver and reads it;
// its own receivers are never marked, and a clean handover marks nothing.
func TestDeadInstanceReceiversAreMarkedUnwatched(t *testing.T) {
	bdb := dbtest.New(t)
	st := store.New(bdb)
	rxs := fleet(t, bdb, 12)
	withChannels(t, bdb, rxs)
	ttl := 3 * time.Second
	every := ttl / 5

	boardA, boardB, boardC := loadedBoard(t, st), loadedBoard(t, st), loadedBoard(t, st)
	a := startNodeOn(t, st, "a", ttl, boardA)
	b := startNodeOn(t, st, "b", ttl, boardB)
	c := startNodeOn(t, st, "c", ttl, boardC)
	waitSplit(t, "three instances", 10*time.Second, rxs, 4, a, b, c)

	// A clean stop: c hands over; for two lease times nothing is marked
	// anywhere, though its receivers change hands.
	c.kill()
	if err := c.k.Handover(context.Background()); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(2 * ttl); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		for name, bd := range map[string]*live.Board{"a": boardA, "b": boardB} {
			if u := unwatchedOn(bd); len(u) > 0 {
				t.Fatalf("after a clean handover %s's board marks receivers %v unwatched", name, slices.Sorted(maps.Keys(u)))
			}
		}
	}
	waitSplit(t, "after the handover", 2*ttl, rxs, 6, a, b)

	// b dies: its heartbeat ages and its leases lapse.
	own := a.heldNow()
	orphans := b.heldNow()
	status := map[int64]live.Tile{}
	for _, tl := range boardA.Tiles() {
		status[tl.ChannelID] = tl
	}
	killed := time.Now()
	b.kill()
	var markedAt time.Duration
	for {
		u := unwatchedOn(boardA)
		for id := range own {
			if _, ok := u[id]; ok {
				t.Fatalf("a's own receiver %d is marked unwatched", id)
			}
		}
		all := true
		for id := range orphans {
			if since, ok := u[id]; !ok {
				all = false
			} else if since.After(killed.Add(time.Second)) || since.Before(killed.Add(-2*every-time.Second)) {
				t.Fatalf("receiver %d unwatched since %s, the kill was at %s", id, since.Format(time.RFC3339Nano), killed.Format(time.RFC3339Nano))
			}
		}
		if all {
			markedAt = time.Since(killed)
			break
		}
		if time.Since(killed) > ttl {
			t.Fatalf("%s after the kill a's board marks %v unwatched, want all of b's %v", time.Since(killed).Round(time.Millisecond),
				slices.Sorted(maps.Keys(u)), slices.Sorted(maps.Keys(orphans)))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Marked, not judged: each keeps its status and receiver state.
	for _, tl := range boardA.Tiles() {
		if was := status[tl.ChannelID]; tl.Status != was.Status || tl.Online != was.Online {
			t.Errorf("channel %d: status %s online %v once unwatched, want %s %v as before", tl.ChannelID, tl.Status, tl.Online, was.Status, was.Online)
		}
	}
	t.Logf("b's %d receivers marked unwatched on a's board %s after the kill (renewal every %s, TTL %s)", len(orphans), markedAt.Round(time.Millisecond), every, ttl)
	if limit := 3*every + every/2; markedAt > limit {
		t.Errorf("marked %s after the kill, want within %s (two renewals missed, plus a round)", markedAt.Round(time.Millisecond), limit)
	}

	// a takes them over; the marks stay until it reads each receiver.
	waitSplit(t, "after the death", ttl+time.Second, rxs, len(rxs), a)
	time.Sleep(2 * every) // a round or two with the receivers held
	if u := unwatchedOn(boardA); len(u) != len(orphans) {
		t.Errorf("a holds b's receivers but has not read them: %d marked, want %d", len(u), len(orphans))
	}
	for id := range orphans {
		boardA.Apply(id, device.Reading{Channels: map[int]*device.ChannelReading{1: {RFLevelDBm: []float64{-60}}}})
	}
	time.Sleep(2 * every)
	if u := unwatchedOn(boardA); len(u) > 0 {
		t.Errorf("after a read them, receivers %v are still marked unwatched", slices.Sorted(maps.Keys(u)))
	}
}
