// Package cluster lets several Micboard instances share one PostgreSQL
// with no other coordinator: each instance announces itself, holds leases
// on its share of the receivers (app/store Leases), hands them over when it
// stops, takes over those of an instance that died, and relays its board's
// changes to the others over LISTEN/NOTIFY so every instance shows every
// channel.
//
// Leases are rows (owner, expiry, fence) rather than advisory locks: a row
// survives a dropped database connection for its lease time instead of
// releasing at once (a network blip must not hand a receiver over), its
// fence number lets every write check it still comes from the owner, and
// any instance can list who holds what.
package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"micboard/app/model"
	"micboard/app/store"
)

// Channel names on which instances wake each other.
const (
	// leasesChannel: leases were released (an instance stops or sheds
	// receivers) or an instance started: claim and rebalance now.
	leasesChannel = "micboard_leases"
)

// Options build a Keeper.
type Options struct {
	Store *store.Store // the database itself, never a cache
	// Instance names this instance (ID, Host, Addr, Version,
	// SchemaVersion, StartedAt); ID must be unique among running ones.
	Instance model.Instance
	// TTL is the longest a receiver may go unwatched when its instance
	// dies (default 10 s). Leases are renewed every TTL/5 and last 3/5 of
	// it past each renewal, so a dead owner's receivers are free within
	// 3/5 of TTL and taken by the next round of another instance.
	TTL time.Duration
	// Board, when set, is told which receivers nobody watches: those of
	// an instance that stopped beating, until someone watches them again.
	Board  Marks
	Logger *slog.Logger
}

// Marks is where the keeper marks receivers nobody watches (live.Board).
type Marks interface {
	SetUnwatched(receiverIDs []int64, since time.Time)
	SetWatched(receiverIDs []int64)
}

// Keeper keeps this instance's leases: one renewal statement per round,
// claims toward an even share, releases beyond it.
type Keeper struct {
	o   Options
	log *slog.Logger

	mu        sync.RWMutex
	held      map[int64]int64 // receiver → fence
	renewedAt time.Time       // last successful renewal (this process's clock)
	lastErr   error
	stopping  bool
	peers     int // live instances at the last round, this one included
	rounds    int

	// marked are the receivers this keeper told the board nobody
	// watches (only the keeper's goroutine uses it).
	marked map[int64]bool

	wake  chan struct{}
	first chan struct{} // closed after the first round

	hooks    sync.Mutex
	stats    func() int
	onChange func(ctx context.Context, held, gained map[int64]int64)
	addr     string
}

// SetStats sets what reports the instance's SSE clients, written with its
// heartbeat.
func (k *Keeper) SetStats(fn func() (sseClients int)) {
	k.hooks.Lock()
	k.stats = fn
	k.hooks.Unlock()
}

// OnChange sets what is told the receivers the instance holds (with their
// fence numbers) and those newly gained, each time the set changes: the
// monitor starts and stops watching to match. It runs on the keeper's
// goroutine.
func (k *Keeper) OnChange(fn func(ctx context.Context, held, gained map[int64]int64)) {
	k.hooks.Lock()
	k.onChange = fn
	k.hooks.Unlock()
}

// SetAddr records the address the instance serves HTTP on, shown on the
// instances page.
func (k *Keeper) SetAddr(addr string) {
	k.hooks.Lock()
	k.addr = addr
	k.hooks.Unlock()
}

// New returns a Keeper; Run starts it.
func New(o Options) *Keeper {
	if o.TTL <= 0 {
		o.TTL = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Instance.StartedAt.IsZero() {
		o.Instance.StartedAt = time.Now()
	}
	return &Keeper{o: o, log: o.Logger, held: map[int64]int64{}, marked: map[int64]bool{}, wake: make(chan struct{}, 1), first: make(chan struct{})}
}

// ID is this instance's id.
func (k *Keeper) ID() string {
	k.hooks.Lock()
	defer k.hooks.Unlock()
	return k.o.Instance.ID
}

// SetID names the instance, before Run: the name may depend on the port
// it serves on, known only once it listens.
func (k *Keeper) SetID(id string) {
	k.hooks.Lock()
	k.o.Instance.ID = id
	k.hooks.Unlock()
	k.log = k.o.Logger.With("instance", id)
}

// Every is how often leases are renewed.
func (k *Keeper) Every() time.Duration { return k.o.TTL / 5 }

// leaseFor is how long a lease lasts past each renewal.
func (k *Keeper) leaseFor() time.Duration { return k.o.TTL * 3 / 5 }

// Fence returns the fence of this instance's lease on a receiver; ok is
// false when it does not hold one.
func (k *Keeper) Fence(receiverID int64) (fence int64, ok bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	fence, ok = k.held[receiverID]
	return fence, ok
}

// Owns reports whether this instance watches a receiver.
func (k *Keeper) Owns(receiverID int64) bool {
	_, ok := k.Fence(receiverID)
	return ok
}

// Status is what /readyz and the instances page say of the leases.
type Status struct {
	Held      int
	RenewedAt time.Time // zero before the first renewal
	// Current is true while the last renewal is younger than a lease: the
	// leases this instance acts on are surely its own.
	Current bool
	Err     error
}

// Status reports the leases' state now.
func (k *Keeper) Status() Status {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return Status{
		Held: len(k.held), RenewedAt: k.renewedAt, Err: k.lastErr,
		Current: !k.renewedAt.IsZero() && time.Since(k.renewedAt) < k.leaseFor(),
	}
}

// Alone reports that no other live instance was seen at the last round:
// there is nobody to relay the board to.
func (k *Keeper) Alone() bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.peers <= 1
}

// Started is closed once the first round has run (claimed or failed): an
// instance answers ready only after it, holding its share.
func (k *Keeper) Started() <-chan struct{} { return k.first }

// Wake runs a round at once (a peer released receivers or started).
func (k *Keeper) Wake() { poke(k.wake) }

// Run keeps the leases until ctx ends. It does not release them: Handover
// does, after the receivers' connections are closed.
func (k *Keeper) Run(ctx context.Context) {
	// Tell the others this instance is here, so they make room for it.
	k.round(ctx)
	close(k.first)
	k.notify(ctx, "start "+k.ID())
	tk := time.NewTicker(k.Every())
	defer tk.Stop()
	look := time.NewTicker(k.Every() / 2)
	defer look.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-look.C:
			k.lookForUnwatched(ctx)
			continue
		case <-tk.C:
		case <-k.wake:
			// A short random pause: instances woken together do not all
			// claim in the same instant.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(rand.Int64N(int64(50 * time.Millisecond)))):
			}
		}
		k.round(ctx)
	}
}

// An instance silent for instanceGone leaves the instances list; the
// list is pruned every pruneEvery rounds. Until then it shows as gone.
const (
	instanceGone = time.Hour
	pruneEvery   = 30
)

// roundTimeout bounds one round's statements: a hanging database must not
// stop the next round from trying.
const roundTimeout = 5 * time.Second

// round renews, claims up to an even share and releases beyond it.
func (k *Keeper) round(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, roundTimeout)
	defer cancel()
	err := k.renewAndBalance(ctx)
	k.mu.Lock()
	k.lastErr = err
	k.mu.Unlock()
	if err != nil && ctx.Err() == nil {
		// The leases held stay watched: while the database cannot be
		// reached nobody can take them over either, and a board that went
		// dark over a database outage would cry wolf. Writes stay fenced.
		k.log.Warn("receiver leases: renewal failed; watching the receivers held until it succeeds", "err", err)
	}
}

func (k *Keeper) renewAndBalance(ctx context.Context) error {
	k.hooks.Lock()
	inst := k.o.Instance
	k.hooks.Unlock()
	k.mu.RLock()
	inst.Stopping = k.stopping
	inst.Receivers = len(k.held)
	k.mu.RUnlock()
	k.hooks.Lock()
	stats := k.stats
	inst.Addr = k.addr
	k.hooks.Unlock()
	if stats != nil {
		inst.SSEClients = stats()
	}
	leases := k.o.Store.Leases
	k.mu.RLock()
	last := k.renewedAt
	k.mu.RUnlock()
	renewed, err := leases.Renew(ctx, &inst, k.leaseFor())
	if err != nil {
		return err
	}
	now := time.Now()
	held := make(map[int64]int64, len(renewed))
	for _, h := range renewed {
		held[h.ReceiverID] = h.Fence
	}
	k.mu.RLock()
	for id := range k.held {
		if _, ok := held[id]; !ok {
			k.log.Warn("receiver lease lost: another instance watches it now, or it is no longer active", "receiver", id)
		}
	}
	stopping := k.stopping
	k.mu.RUnlock()
	if stopping {
		k.set(ctx, held, now)
		return nil
	}
	// Others' heartbeats are judged only when this instance's own came in
	// time too (after a database outage every heartbeat is old, and the
	// others renew within a round), and before claiming: a receiver taken
	// over from a dead instance stays marked until this one reads it.
	if !last.IsZero() && now.Sub(last) <= k.silent() {
		if err := k.markUnwatched(ctx, held); err != nil && ctx.Err() == nil {
			k.log.Warn("receiver leases: find the receivers nobody watches", "err", err)
		}
	}
	if k.rounds++; k.rounds%pruneEvery == 1 {
		if _, err := k.o.Store.Instances.Prune(ctx, instanceGone); err != nil {
			return err
		}
	}
	rxs, peers, err := leases.Share(ctx, k.leaseFor())
	if err != nil {
		k.set(ctx, held, now)
		return err
	}
	k.mu.Lock()
	k.peers = peers
	k.mu.Unlock()
	share := fairShare(rxs, max(peers, 1))
	var released []int64
	switch {
	case len(held) < share:
		claimed, err := leases.Claim(ctx, k.ID(), k.leaseFor(), share-len(held))
		if err != nil {
			k.set(ctx, held, now)
			return err
		}
		for _, h := range claimed {
			held[h.ReceiverID] = h.Fence
		}
		if len(claimed) > 0 {
			k.log.Info("receiver leases claimed", "claimed", len(claimed), "held", len(held), "share", share, "instances", peers)
		}
	case len(held) > share && peers > 1:
		// Shed the excess to the others: stop watching first, so a
		// receiver never has two connections, then release.
		ids := slices.Sorted(maps.Keys(held))
		released = ids[share:]
		for _, id := range released {
			delete(held, id)
		}
	}
	k.set(ctx, held, now)
	if len(released) > 0 {
		n, err := leases.Release(ctx, k.ID(), released...)
		if err != nil {
			return err
		}
		k.log.Info("receiver leases handed to other instances", "released", n, "held", len(held), "share", share, "instances", peers)
		k.notify(ctx, "released "+k.ID())
	}
	return nil
}

// lookForUnwatched looks for receivers nobody watches between rounds too:
// from an owner's going silent to its receivers' being claimed is less than
// a round at the defaults, and a board that looked only once a round would
// miss it about one time in four and show the frozen tiles as live.
func (k *Keeper) lookForUnwatched(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, roundTimeout)
	defer cancel()
	k.mu.RLock()
	last, stopping := k.renewedAt, k.stopping
	held := maps.Clone(k.held)
	k.mu.RUnlock()
	// As in a round: only while this instance's own heartbeat is current.
	if stopping || last.IsZero() || time.Since(last) > k.silent() {
		return
	}
	if err := k.markUnwatched(ctx, held); err != nil && ctx.Err() == nil {
		k.log.Warn("receiver leases: find the receivers nobody watches", "err", err)
	}
}

// silent is how long an instance may go without a heartbeat before the
// receivers it holds count as unwatched: two renewals missed, and a
// quarter more for a slow round.
func (k *Keeper) silent() time.Duration { return 2*k.Every() + k.Every()/4 }

// markUnwatched tells the board which receivers nobody watches now: held
// by an instance silent for longer than silent, or lapsed and not claimed.
// The ones no longer on that list are cleared, except those this instance
// holds: their mark goes when its own monitor reads them.
func (k *Keeper) markUnwatched(ctx context.Context, held map[int64]int64) error {
	if k.o.Board == nil {
		return nil
	}
	list, err := k.o.Store.Leases.Unwatched(ctx, k.ID(), k.silent())
	if err != nil {
		return err
	}
	nobody := map[int64]bool{}
	since := map[time.Time][]int64{}
	for _, u := range list {
		nobody[u.ReceiverID] = true
		if !k.marked[u.ReceiverID] {
			since[u.Since] = append(since[u.Since], u.ReceiverID)
		}
	}
	var cleared []int64
	for id := range k.marked {
		switch {
		case nobody[id]:
		case held[id] > 0:
			delete(k.marked, id) // its monitor clears the mark once it reads
		default:
			delete(k.marked, id)
			cleared = append(cleared, id)
		}
	}
	if len(cleared) > 0 {
		k.o.Board.SetWatched(cleared)
	}
	n := 0
	for at, ids := range since {
		for _, id := range ids {
			k.marked[id] = true
		}
		n += len(ids)
		k.o.Board.SetUnwatched(ids, at)
	}
	if n > 0 {
		k.log.Warn("receivers nobody watches: the instance holding their leases stopped beating; shown greyed until one takes them over", "receivers", n)
	}
	return nil
}

// fairShare is each instance's even share of n receivers, rounded up so
// the shares always cover them all.
func fairShare(n, instances int) int {
	return (n + instances - 1) / instances
}

// set records the held leases and tells the monitor when they changed.
func (k *Keeper) set(ctx context.Context, held map[int64]int64, renewedAt time.Time) {
	k.mu.Lock()
	changed := !maps.Equal(held, k.held)
	gained := map[int64]int64{}
	for id, f := range held {
		if old, ok := k.held[id]; !ok || old != f {
			gained[id] = f
		}
	}
	k.held = held
	k.renewedAt = renewedAt
	k.mu.Unlock()
	k.hooks.Lock()
	fn := k.onChange
	k.hooks.Unlock()
	if changed && fn != nil {
		fn(ctx, maps.Clone(held), gained)
	}
}

// notify wakes the other instances' keepers.
func (k *Keeper) notify(ctx context.Context, msg string) {
	if _, err := k.o.Store.DB().ExecContext(ctx, "SELECT pg_notify(?, ?)", leasesChannel, msg); err != nil && ctx.Err() == nil {
		k.log.Warn("receiver leases: wake the other instances", "err", err)
	}
}

// Handover ends this instance's part: it stops claiming, lets the monitor
// close every connection (Changed with nothing held), releases the leases
// at once and removes the instance's row, then wakes the others so they
// take the receivers over within moments instead of a lease time.
func (k *Keeper) Handover(ctx context.Context) error {
	k.mu.Lock()
	k.stopping = true
	n := len(k.held)
	k.mu.Unlock()
	k.set(ctx, map[int64]int64{}, time.Now())
	released, err := k.o.Store.Leases.Release(ctx, k.ID())
	if err != nil {
		return fmt.Errorf("hand over %d receivers: %w", n, err)
	}
	// Gone from the list before the others wake, so their share counts
	// this instance out at once.
	if err := k.o.Store.Instances.Remove(ctx, k.ID()); err != nil {
		return fmt.Errorf("hand over: %w", err)
	}
	k.notify(ctx, "released "+k.ID())
	k.log.Info("receivers handed over to the other instances", "released", released)
	return nil
}

// Instances lists every instance on the database.
func (k *Keeper) Instances(ctx context.Context) ([]model.Instance, error) {
	return k.o.Store.Instances.List(ctx)
}

// Attach registers the keeper on the listener: a peer that released
// receivers or started wakes a round at once.
func (k *Keeper) Attach(l *Listener) {
	l.Handle(leasesChannel, func(_ context.Context, payload string) {
		if payload != "released "+k.ID() && payload != "start "+k.ID() {
			k.Wake()
		}
	})
}

// TTL is the configured lease time: an instance silent for longer is gone.
func (k *Keeper) TTL() time.Duration { return k.o.TTL }
