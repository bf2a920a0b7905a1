package store_test

import (
	"errors"
	"testing"
	"time"

	"micboard/app/model"
	"micboard/app/store"
	"micboard/app/store/storetest"
)

// TestDiscoveryLeaseReclaim: a run whose owner died (it stops renewing) is
// due again once its lease expires and can be claimed by another owner; the
// dead owner can then neither renew nor overwrite the newer run's outcome.
func TestDiscoveryLeaseReclaim(t *testing.T) {
	t.Parallel()
	e := storetest.New(t)
	now := time.Now()
	task := &model.DiscoveryTask{Name: "rack", Kind: model.DiscoveryCIDR, Target: "10.0.0.0/24", Enabled: true, IntervalSeconds: 3600}
	must(t, e.St.DiscoveryTasks.Create(e.Ctx, task))

	got, err := e.St.DiscoveryTasks.Claim(e.Ctx, task.ID, "dead", 300*time.Millisecond, now)
	must(t, err)
	if got.Status != model.TaskRunning || got.LeaseOwner != "dead" || got.LeaseExpiresAt == nil {
		t.Fatalf("claimed: %+v", got)
	}
	if _, err := e.St.DiscoveryTasks.Claim(e.Ctx, task.ID, "other", time.Minute, now); !errors.Is(err, store.ErrLeaseHeld) {
		t.Fatalf("claim under a live lease: %v", err)
	}
	if due, _ := e.St.DiscoveryTasks.Due(e.Ctx, now.Add(2*time.Hour)); len(due) != 0 {
		t.Fatalf("a task under a live lease is due: %d", len(due))
	}
	left, ok, err := e.St.DiscoveryTasks.NextLeaseExpiry(e.Ctx)
	must(t, err)
	if !ok || left > 300*time.Millisecond || left < -time.Second {
		t.Fatalf("next lease expiry: %v %v", left, ok)
	}

	time.Sleep(400 * time.Millisecond) // "dead" never renews
	// Due at once, not an interval after the dead run started.
	due, err := e.St.DiscoveryTasks.Due(e.Ctx, now)
	must(t, err)
	if len(due) != 1 || due[0].ID != task.ID {
		t.Fatalf("expired run not due: %d", len(due))
	}
	if _, err := e.St.DiscoveryTasks.Claim(e.Ctx, task.ID, "heir", time.Minute, now); err != nil {
		t.Fatalf("claim of an expired lease: %v", err)
	}
	if err := e.St.DiscoveryTasks.Renew(e.Ctx, task.ID, "dead", time.Minute); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("dead owner renews: %v", err)
	}
	if err := e.St.DiscoveryTasks.Finish(e.Ctx, task.ID, "dead", model.TaskSuccess, 1, 1, ""); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("dead owner finishes: %v", err)
	}
	must(t, e.St.DiscoveryTasks.Renew(e.Ctx, task.ID, "heir", time.Minute))
	must(t, e.St.DiscoveryTasks.Finish(e.Ctx, task.ID, "heir", model.TaskFailed, 254, 0, "boom"))
	got, err = e.St.DiscoveryTasks.Get(e.Ctx, task.ID)
	must(t, err)
	if got.Status != model.TaskFailed || got.Scanned != 254 || got.LastError != "boom" || got.LeaseOwner != "" || got.LeaseExpiresAt != nil {
		t.Fatalf("after finish: %+v", got)
	}
	if _, ok, _ := e.St.DiscoveryTasks.NextLeaseExpiry(e.Ctx); ok {
		t.Fatal("a finished run still has a lease")
	}
	if _, err := e.St.DiscoveryTasks.Claim(e.Ctx, task.ID+100, "x", time.Minute, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim of a missing task: %v", err)
	}
}
