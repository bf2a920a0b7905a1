package cluster_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"micboard/app/cluster"
	"micboard/app/db/dbtest"
	"micboard/app/store"
)

// fakeDevices records what this instance's monitor was asked.
type fakeDevices struct {
	mu       sync.Mutex
	renamed  []string
	reconn   []int64
	refuse   error
	watching map[int64]bool
}

func (f *fakeDevices) Sync(context.Context) error { return nil }

func (f *fakeDevices) Reconnect(_ context.Context, ids ...int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, id := range ids {
		if f.watching[id] {
			f.reconn = append(f.reconn, id)
			n++
		}
	}
	return n, nil
}

func (f *fakeDevices) SetChannelName(_ context.Context, rx int64, ch int, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse != nil {
		return f.refuse
	}
	f.renamed = append(f.renamed, name)
	return nil
}

func TestDeviceCommandsGoToTheWatchingInstance(t *testing.T) {
	bdb := dbtest.New(t)
	st := store.New(bdb)
	rxs := fleet(t, bdb, 2)
	a := startNode(t, st, "a", 3*time.Second)
	b := startNode(t, st, "b", 3*time.Second)
	waitSplit(t, "two instances", 10*time.Second, rxs, 1, a, b)
	ownedByA := rxs[0]
	if !a.k.Owns(ownedByA) {
		ownedByA = rxs[1]
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := func(k *cluster.Keeper, origin string, local *fakeDevices) *cluster.Devices {
		d := &cluster.Devices{Local: local, Keeper: k, Store: st, Origin: origin, Timeout: 2 * time.Second}
		listen(t, ctx, bdb, d.Attach)
		return d
	}
	localA := &fakeDevices{watching: map[int64]bool{ownedByA: true}}
	localB := &fakeDevices{watching: map[int64]bool{}}
	start(a.k, "pa", localA)
	devB := start(b.k, "pb", localB)

	// An admin on B renames a channel of A's receiver: A writes it.
	if err := devB.SetChannelName(ctx, ownedByA, 2, "HH02 Zoe"); err != nil {
		t.Fatal(err)
	}
	if len(localA.renamed) != 1 || localA.renamed[0] != "HH02 Zoe" || len(localB.renamed) != 0 {
		t.Errorf("renamed on A %q, on B %q; want once on A", localA.renamed, localB.renamed)
	}
	// The device's refusal comes back to B as an error.
	localA.mu.Lock()
	localA.refuse = errors.New("device refused the name")
	localA.mu.Unlock()
	err := devB.SetChannelName(ctx, ownedByA, 2, "x")
	if err == nil || !strings.Contains(err.Error(), "device refused the name") {
		t.Errorf("refused rename on B = %v, want the device's answer", err)
	}
	// Reconnect across both: each instance reconnects its own.
	n, err := devB.Reconnect(ctx, rxs...)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || len(localA.reconn) != 1 || localA.reconn[0] != ownedByA {
		t.Errorf("reconnect from B: %d watched, A reconnected %v; want A's receiver", n, localA.reconn)
	}
	// An instance that does not answer: a clear error, not a hang.
	a.kill()
	localA.mu.Lock()
	localA.refuse = nil
	localA.mu.Unlock()
	quiet := &cluster.Devices{Local: localB, Keeper: b.k, Store: st, Origin: "pc", Timeout: 300 * time.Millisecond}
	if err := quiet.SetChannelName(ctx, ownedByA, 1, "y"); err == nil {
		t.Error("a rename with nobody to answer succeeded")
	}
}
