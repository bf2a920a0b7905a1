package monitor_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Every receiver that is heard gets its last message recorded, by one
// batched statement per interval rather than a timer per receiver.
func TestHeartbeatsRecordEveryHeardReceiver(t *testing.T) {
	// Shure receivers sample meters continuously; an idle SSC receiver is
	// heard only at its pings.
	r := startRig(t, "ulxd4q", "ad4d", "slxd4d")
	ctx := context.Background()
	eventually(t, 10*time.Second, "all online", func() error {
		for code := range r.rxs {
			if err := r.matches(code); err != nil {
				return fmt.Errorf("%s: %w", code, err)
			}
		}
		return nil
	})
	first := map[int64]time.Time{}
	for _, id := range r.ids {
		c, err := r.st.Connections.ByReceiver(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.LastMessageAt == nil {
			t.Fatalf("receiver %d online without a last message", id)
		}
		first[id] = *c.LastMessageAt
	}
	// HeartbeatEvery is 1 s in the rig: within 3 s each is stamped again.
	eventually(t, 5*time.Second, "heartbeats", func() error {
		for _, id := range r.ids {
			c, err := r.st.Connections.ByReceiver(ctx, id)
			if err != nil {
				return err
			}
			if c.LastMessageAt == nil || !c.LastMessageAt.After(first[id]) {
				return fmt.Errorf("receiver %d: last message still %v", id, c.LastMessageAt)
			}
		}
		return nil
	})
}
