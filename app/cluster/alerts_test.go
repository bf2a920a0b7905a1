package cluster_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"micboard/app/alert"
	"micboard/app/cluster"
	"micboard/app/db/dbtest"
	"micboard/app/model"
	"micboard/app/store"
)

func TestAlertRelayCarriesABurstOnce(t *testing.T) {
	bdb := dbtest.New(t)
	st := store.New(bdb)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// 600 packs low at once, as after a long break.
	alerts := make([]*model.Alert, 600)
	for i := range alerts {
		a := &model.Alert{Kind: model.AlertBatteryLow, Severity: model.AlertBatteryLow.Severity(), State: model.AlertOpen,
			OpenedAt: time.Now(), Message: "battery low", Value: json.RawMessage(`{}`)}
		if err := st.Alerts.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		alerts[i] = a
	}
	start := func(origin string, apply func(alert.Event), reload func(context.Context)) *cluster.AlertRelay {
		r := cluster.NewAlertRelay(st, origin, nil)
		r.Apply, r.Reload = apply, reload
		listen(t, ctx, bdb, r.Attach)
		go r.Run(ctx)
		return r
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var reloads atomic.Int32
	a := start("a", func(alert.Event) { t.Error("an instance applied its own event") }, nil)
	start("b", func(ev alert.Event) {
		mu.Lock()
		seen[ev.Alert.ID]++
		mu.Unlock()
		if ev.Event != model.EventOpened || ev.Alert.Message != "battery low" {
			t.Errorf("event %+v", ev)
		}
	}, func(context.Context) { reloads.Add(1) })

	for _, al := range alerts {
		a.Publish(alert.Event{Event: model.EventOpened, Alert: *al})
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == len(alerts) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != len(alerts) {
		t.Fatalf("the other instance learnt of %d of %d alerts (reloads %d)", len(seen), len(alerts), reloads.Load())
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("alert %d applied %d times", id, n)
		}
	}
	if reloads.Load() != 0 {
		t.Errorf("a burst under the queue's size made the other reload %d times", reloads.Load())
	}
}
