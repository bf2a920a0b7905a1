package monitor_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/service"
	"micboard/app/store"
)

// TestDiscoveryReclaimsARunWhoseOwnerDied: an instance killed mid-run leaves
// its task "running" with a lease nobody renews. The scheduler of another
// (or the restarted) instance must take it over once the lease expires,
// instead of skipping it forever.
func TestDiscoveryReclaimsARunWhoseOwnerDied(t *testing.T) {
	t.Parallel()
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "ulxd4q", Seed: 9, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Stop()
	st := store.New(dbtest.New(t))
	task := newTask(t, st, service.TaskInput{Kind: model.DiscoveryManual, Target: rx.Addr(), Vendor: model.VendorShure})

	// The dead instance: claims, then never renews or finishes.
	const lease = time.Second
	dead := service.NewDiscovery(st).WithLease(lease)
	if _, err := dead.StartRun(context.Background(), task.ID); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()

	opts := discoOpts(0)
	opts.Every, opts.Lease = time.Hour, lease // only the lease may wake the scheduler
	d := monitor.NewDiscoverer(st, opts)
	// While the dead lease is live, a run is refused rather than doubled.
	if err := d.RunTask(context.Background(), task.ID); !errors.Is(err, monitor.ErrTaskBusy) {
		t.Fatalf("run under a live lease: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	var got *model.DiscoveryTask
	for deadline := time.Now().Add(10 * time.Second); ; {
		got = reloadTask(t, st, task.ID)
		if got.Status == model.TaskSuccess {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task still %s (owner %q) 10 s after its owner died", got.Status, got.LeaseOwner)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("discovery run of a killed owner reclaimed and finished %v after the kill (lease %v)", time.Since(killed).Round(10*time.Millisecond), lease)
	if got.Found != 1 || got.LeaseOwner != "" {
		t.Fatalf("reclaimed run: %+v", got)
	}
	// The dead owner, should it wake up, cannot overwrite the newer outcome.
	if err := dead.FinishRun(context.Background(), task.ID, 0, 0, errors.New("late")); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("late finish of the dead owner: %v", err)
	}
}
