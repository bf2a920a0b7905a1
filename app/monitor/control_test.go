package monitor_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Reconnect drops a watched receiver's session and connects again at once;
// a receiver nobody watches is left alone.
func TestReconnectRedoesTheSession(t *testing.T) {
	r := startRig(t, "ulxd4q")
	ctx := context.Background()
	id := r.ids["ulxd4q"]
	eventually(t, 10*time.Second, "online", func() error { return r.matches("ulxd4q") })

	n, err := r.mgr.Reconnect(ctx, id, 999999)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("reconnected %d receivers, want 1 (the unknown one is not watched)", n)
	}
	if !r.mgr.IsWatching(id) || r.mgr.IsWatching(999999) {
		t.Fatalf("after a reconnect: watching %t, unknown %t", r.mgr.IsWatching(id), r.mgr.IsWatching(999999))
	}
	eventually(t, 10*time.Second, "online again", func() error {
		if err := r.matches("ulxd4q"); err != nil {
			return err
		}
		if c := r.rxs["ulxd4q"].Clients(); c != 1 {
			return fmt.Errorf("%d clients connected", c)
		}
		return nil
	})
}
