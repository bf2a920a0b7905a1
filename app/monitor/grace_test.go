package monitor_test

import (
	"testing"
	"time"

	"micboard/app/model"
)

// A link that drops and is back within the grace is no alarm: the board
// never shows the receiver offline, so nobody runs to a rack that is fine.
func TestBriefDropIsNoFalseAlarm(t *testing.T) {
	r := startRig(t, "ulxd4q")
	rx := r.rxs["ulxd4q"]
	eventually(t, 10*time.Second, "online", func() error { return r.matches("ulxd4q") })

	rx.Drop(150 * time.Millisecond) // the link resets; a reconnect finds it back
	end := time.Now().Add(3 * time.Second)
	for time.Now().Before(end) {
		for _, tile := range r.board.Tiles() {
			if tile.Status == model.StatusRxOffline || !tile.Online {
				t.Fatalf("tile %d shown offline after a 150 ms blip", tile.Number)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.matches("ulxd4q"); err != nil {
		t.Fatalf("after the blip: %v", err)
	}
	row, err := r.st.Connections.ByReceiver(t.Context(), r.ids["ulxd4q"])
	if err != nil {
		t.Fatal(err)
	}
	if row.ReconnectAttempts < 1 && row.Status != model.ConnConnected {
		t.Fatalf("connection after the blip: %+v", row)
	}
}
