package cluster_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/cluster"
	"micboard/app/db/dbtest"
	"micboard/app/model"
	"micboard/app/store"
)

// fleet registers n active receivers and returns their ids.
func fleet(t *testing.T, bdb *bun.DB, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	var mf int64
	if err := bdb.NewRaw(`INSERT INTO manufacturers (code, name) VALUES ('shure', 'Shure')
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id`).Scan(ctx, &mf); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, 0, n)
	for i := range n {
		var id int64
		err := bdb.NewRaw(`INSERT INTO receivers (manufacturer_id, device_type, host, port, name)
			VALUES (?, 'ulxd', '127.0.0.1', ?, ?) RETURNING id`, mf, 20000+i, fmt.Sprintf("RX%02d", i)).Scan(ctx, &id)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// node is one keeper running in the test, with what it was last told.
type node struct {
	k      *cluster.Keeper
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	held map[int64]int64
}

func (n *node) heldNow() map[int64]int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[int64]int64, len(n.held))
	for k, v := range n.held {
		out[k] = v
	}
	return out
}

func startNode(t *testing.T, st *store.Store, id string, ttl time.Duration) *node {
	t.Helper()
	return startNodeOn(t, st, id, ttl, nil)
}

// startNodeOn starts a keeper that marks on board the receivers nobody
// watches.
func startNodeOn(t *testing.T, st *store.Store, id string, ttl time.Duration, board cluster.Marks) *node {
	t.Helper()
	k := cluster.New(cluster.Options{Store: st, Instance: model.Instance{ID: id, Host: "test"}, TTL: ttl, Board: board})
	n := &node{k: k, done: make(chan struct{})}
	k.OnChange(func(_ context.Context, held, _ map[int64]int64) {
		n.mu.Lock()
		n.held = held
		n.mu.Unlock()
	})
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() { defer close(n.done); k.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-n.done })
	return n
}

// kill stops a node's keeper without handing anything over, as SIGKILL
// would.
func (n *node) kill() { n.cancel(); <-n.done }

// waitSplit waits until the nodes' held sets are disjoint, cover every
// receiver, and each node holds at least min.
func waitSplit(t *testing.T, what string, within time.Duration, rxs []int64, least int, nodes ...*node) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	for time.Since(start) < within {
		owner := map[int64]int{}
		ok := true
		counts := make([]int, len(nodes))
		for i, n := range nodes {
			for id := range n.heldNow() {
				if _, dup := owner[id]; dup {
					ok = false
				}
				owner[id] = i
				counts[i]++
			}
		}
		for _, c := range counts {
			if c < least {
				ok = false
			}
		}
		if ok && len(owner) == len(rxs) {
			return time.Since(start)
		}
		last = fmt.Sprintf("held per node %v, %d of %d receivers owned", counts, len(owner), len(rxs))
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not split within %s: %s", what, within, last)
	return 0
}

func TestLeasesSpreadHandOverAndFailOver(t *testing.T) {
	bdb := dbtest.New(t)
	st := store.New(bdb)
	rxs := fleet(t, bdb, 30)
	ttl := 3 * time.Second

	a := startNode(t, st, "a", ttl)
	waitSplit(t, "one instance", 5*time.Second, rxs, 30, a)

	// A second and a third instance: the first makes room, each gets an
	// even share and no receiver has two owners.
	b := startNode(t, st, "b", ttl)
	c := startNode(t, st, "c", ttl)
	took := waitSplit(t, "three instances", 10*time.Second, rxs, 10, a, b, c)
	t.Logf("three instances share 30 receivers 10/10/10 after %s", took.Round(time.Millisecond))

	// A clean stop hands over at once: well inside a lease time.
	start := time.Now()
	c.cancel()
	<-c.done
	if err := c.k.Handover(context.Background()); err != nil {
		t.Fatal(err)
	}
	took = waitSplit(t, "after a clean stop", ttl, rxs, 15, a, b)
	t.Logf("clean stop: receivers watched again after %s", time.Since(start).Round(time.Millisecond))
	if took > ttl*3/5 {
		t.Errorf("clean handover took %s, longer than a lease (%s)", took, ttl*3/5)
	}

	// A death (no handover): the survivor takes everything within the TTL,
	// and each receiver taken over has a higher fence.
	before := b.heldNow()
	start = time.Now()
	b.kill()
	waitSplit(t, "after a death", ttl+time.Second, rxs, 30, a)
	died := time.Since(start)
	t.Logf("death: receivers watched again after %s (TTL %s)", died.Round(time.Millisecond), ttl)
	if died > ttl {
		t.Errorf("takeover after a death took %s, over the TTL %s", died, ttl)
	}
	after := a.heldNow()
	for id, f := range before {
		if after[id] <= f {
			t.Errorf("receiver %d: fence %d after takeover, want more than %d", id, after[id], f)
		}
	}

	// The dead owner's fences no longer pass: its writes are refused.
	ctx := context.Background()
	stale := 0
	err := st.WriteFenced(ctx, fixedFence{"b", before}, keys(before), func(_ *store.Store, ids []int64) error {
		stale = len(ids)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Errorf("a dead owner could still write for %d receivers", stale)
	}
	mine := 0
	if err := st.WriteFenced(ctx, a.k, keys(after), func(_ *store.Store, ids []int64) error {
		mine = len(ids)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if mine != len(rxs) {
		t.Errorf("the owner may write for %d receivers, want %d", mine, len(rxs))
	}

	// Instances list both, the dead one with an old heartbeat.
	list, err := st.Instances.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]model.Instance{}
	for _, in := range list {
		got[in.ID] = in
	}
	if _, ok := got["c"]; ok {
		t.Error("an instance that stopped cleanly is still listed")
	}
	if in, ok := got["a"]; !ok || in.Leases != len(rxs) {
		t.Errorf("instance a: listed %v with %d leases, want %d", ok, in.Leases, len(rxs))
	}
	if in, ok := got["b"]; !ok || in.HeartbeatAge < ttl*3/5 || in.Leases != 0 {
		t.Errorf("dead instance b: listed %v, heartbeat %s ago, %d leases; want listed, silent past a lease, none held", ok, in.HeartbeatAge, in.Leases)
	}
	if s := a.k.Status(); !s.Current || s.Held != len(rxs) {
		t.Errorf("status of a = %+v, want current with %d held", s, len(rxs))
	}
}

func TestDeactivatedReceiverLeaseLapses(t *testing.T) {
	bdb := dbtest.New(t)
	st := store.New(bdb)
	rxs := fleet(t, bdb, 4)
	a := startNode(t, st, "a", 3*time.Second)
	waitSplit(t, "one instance", 5*time.Second, rxs, 4, a)
	if _, err := bdb.NewRaw("UPDATE receivers SET active = false WHERE id = ?", rxs[0]).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.k.Wake()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := a.heldNow()[rxs[0]]; !ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the lease on a deactivated receiver is still held: %v", a.heldNow())
}

type fixedFence struct {
	id     string
	fences map[int64]int64
}

func (f fixedFence) ID() string { return f.id }
func (f fixedFence) Fence(id int64) (int64, bool) {
	v, ok := f.fences[id]
	return v, ok
}

func keys(m map[int64]int64) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestReleasedLeasesAreNotRenewedButLapsedOnesAre(t *testing.T) {
	bdb := dbtest.New(t)
	st := store.New(bdb)
	rxs := fleet(t, bdb, 3)
	ctx := context.Background()
	inst := &model.Instance{ID: "a", Host: "test"}
	claimed, err := st.Leases.Claim(ctx, "a", time.Minute, 3)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if _, err := st.Leases.Release(ctx, "a", rxs[0]); err != nil {
		t.Fatal(err)
	}
	// One lapsed while the database was away: its owner takes it back.
	if _, err := bdb.NewRaw("UPDATE receiver_leases SET expires_at = now() - interval '1 minute' WHERE receiver_id = ?", rxs[1]).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	held, err := st.Leases.Renew(ctx, inst, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]bool{}
	for _, h := range held {
		got[h.ReceiverID] = true
	}
	if got[rxs[0]] || !got[rxs[1]] || !got[rxs[2]] {
		t.Errorf("renewed %v; want the lapsed and the held one, not the released %d", got, rxs[0])
	}
	// The released one is free for another, with a higher fence.
	other, err := st.Leases.Claim(ctx, "b", time.Minute, 3)
	if err != nil || len(other) != 1 || other[0].ReceiverID != rxs[0] || other[0].Fence != 2 {
		t.Errorf("b claimed %+v (%v), want only receiver %d with fence 2", other, err, rxs[0])
	}
}
