package monitor_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/live"
	"micboard/app/monitor"
	"micboard/app/store"
)

// soak reports whether the long forms of the fault campaign run
// (MICBOARD_SOAK=1, as `make soak` sets).
func soak() bool { return os.Getenv("MICBOARD_SOAK") == "1" }

// TestFaultGarbageReceiver: one Shure receiver sends a 1 MB line without a
// terminator and then 10 MB of random bytes, with its real messages still
// mixed in. The monitor's memory stays flat, the link is dropped and dialled
// again, and the other receivers on the same monitor keep updating the board
// all along.
//
// It does not run in parallel: it measures the process's live heap.
func TestFaultGarbageReceiver(t *testing.T) {
	others := []string{"ad4q", "ulxd4d", "ewdx4"}
	r := startRig(t, append([]string{"ulxd4q"}, others...)...)
	for code := range r.rxs {
		eventually(t, 15*time.Second, code+" online", func() error { return r.matches(code) })
	}
	rounds, noise := 1, 10<<20
	if soak() {
		rounds, noise = 10, 100<<20
	}
	bad := r.rxs["ulxd4q"]
	for round := 1; round <= rounds; round++ {
		base := liveHeap()
		var peak atomic.Uint64
		stopSampling := sampleHeap(&peak)
		watch := watchTiles(t, r, others)

		start := time.Now()
		floods, err := bad.SendFlood(1<<20, noise)
		if err != nil || len(floods) != 1 {
			t.Fatalf("flood: %d floods, %v", len(floods), err)
		}
		select {
		case <-floods[0].Done():
		case <-time.After(60 * time.Second):
			t.Fatalf("round %d: the flood was neither read nor cut within 60 s", round)
		}
		if !floods[0].Cut() {
			t.Fatalf("round %d: the monitor read all %d bytes of junk without dropping the link", round, floods[0].Queued())
		}
		dropped := time.Since(start)
		back := eventually(t, 20*time.Second, "garbage receiver back on the board", func() error {
			if bad.Clients() != 1 {
				return fmt.Errorf("%d clients connected", bad.Clients())
			}
			return r.matches("ulxd4q")
		})
		// Watch the others for a while past the fault too: at a 250 ms
		// meter rate, 2.5 s is several updates each.
		time.Sleep(time.Until(start.Add(2500 * time.Millisecond)))
		changes := watch()
		stopSampling()
		grew := int64(peak.Load()) - int64(base)
		t.Logf("round %d: link dropped after %d junk bytes in %v; board again %v later; live heap grew at most %.1f MB; other tiles changed %v times",
			round, floods[0].Queued(), dropped.Round(time.Millisecond), back.Round(time.Millisecond), float64(grew)/(1<<20), changes)
		if grew > 8<<20 {
			t.Errorf("round %d: live heap grew by %d bytes while the receiver sent junk", round, grew)
		}
		for code, n := range changes {
			if n < 3 {
				t.Errorf("round %d: %s's tiles changed only %d times while another receiver sent junk", round, code, n)
			}
		}
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// sampleHeap records the largest live heap seen every 100 ms until stopped.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			if h := liveHeap(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-done:
				return
			case <-tk.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// watchTiles moves the audio level of channel 1 on each of the receivers
// every 300 ms and counts how often the board's tile followed, until the
// returned function is called.
func watchTiles(t *testing.T, r *rig, codes []string) (stop func() map[string]int) {
	t.Helper()
	done := make(chan struct{})
	counts := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		last := map[string]float64{}
		for i := 0; ; i++ {
			level := -30 + float64(i%2)*12 // alternates: every step is a change
			for _, code := range codes {
				_ = r.rxs[code].SetAudio(1, level)
			}
			deadline := time.Now().Add(300 * time.Millisecond)
			for time.Now().Before(deadline) {
				for _, code := range codes {
					id, _ := r.board.ChannelID(r.ids[code], 1)
					tile, _ := r.board.Tile(id)
					if tile.AudioDBFS != nil && *tile.AudioDBFS != last[code] {
						last[code] = *tile.AudioDBFS
						mu.Lock()
						counts[code]++
						mu.Unlock()
					}
				}
				select {
				case <-done:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
	}()
	return func() map[string]int {
		close(done)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return counts
	}
}

// connWrites counts the statements that write a receiver's connection
// record, the table a reconnect storm would hammer.
type connWrites struct{ conn, all atomic.Int64 }

func (w *connWrites) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (w *connWrites) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	switch e.Operation() {
	case "INSERT", "UPDATE", "DELETE":
	default:
		return
	}
	w.all.Add(1)
	if strings.Contains(e.Query, `"connections"`) {
		w.conn.Add(1)
	}
}

// TestFaultFleetDropsAndReturns: 250 receivers lose their link at the same
// moment and come back together. Jittered backoff must bring every one back
// on the board within 30 s without a storm of database writes.
func TestFaultFleetDropsAndReturns(t *testing.T) {
	t.Parallel()
	const receivers = 250
	ctx := context.Background()
	bdb := dbtest.New(t)
	writes := &connWrites{}
	bdb.AddQueryHook(writes)
	st := store.New(bdb)

	fleet, err := sim.StartFleet(sim.FleetConfig{Receivers: receivers, Models: []string{"ulxd4q", "ad4q"}, Seed: 11, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Stop() })
	registerAll(t, st, fleet.Endpoints())
	board := live.NewBoard(live.Options{})
	if err := board.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	// The shipped reconnect policy (500 ms doubling to 15 s, ±25 %), so the
	// test measures what a show gets.
	mgr := monitor.New(st, board, monitor.Options{MeterRate: time.Second, Logger: quiet})
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { mgr.Run(mctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	allOnline := func() error {
		off := 0
		for _, tile := range board.Tiles() {
			if !tile.Online {
				off++
			}
		}
		if off > 0 {
			return fmt.Errorf("%d of %d channels offline", off, len(board.Tiles()))
		}
		return nil
	}
	eventually(t, 90*time.Second, "fleet online", allOnline)

	outages := []time.Duration{3 * time.Second}
	if soak() {
		outages = []time.Duration{3 * time.Second, 20 * time.Second, 5 * time.Second, 60 * time.Second, 2 * time.Second}
	}
	for round, down := range outages {
		before := writes.conn.Load()
		for _, rx := range fleet.Receivers() {
			rx.Drop(0)
		}
		eventually(t, 30*time.Second, "fleet offline", func() error {
			for _, tile := range board.Tiles() {
				if tile.Online {
					return fmt.Errorf("channel %d still online", tile.ChannelID)
				}
			}
			return nil
		})
		time.Sleep(down)
		restored := time.Now()
		for _, rx := range fleet.Receivers() {
			if err := rx.Restore(); err != nil {
				t.Fatal(err)
			}
		}
		took := eventually(t, 30*time.Second, "fleet back online", allOnline)
		n := writes.conn.Load() - before
		window := time.Since(restored) + down
		// Every failed attempt may write the record twice (offline, then the
		// reconnect count) and a return a few times more; doubling backoff
		// allows about log2(window/min) attempts per receiver.
		attempts := 2
		for d := 375 * time.Millisecond; d < window; d *= 2 {
			attempts++
		}
		limit := int64(receivers * (2*attempts + 6))
		t.Logf("round %d: %d receivers down %v, all back on the board %v after they returned; %d connection-record writes (%.1f per receiver, limit %d)",
			round+1, receivers, down, took.Round(100*time.Millisecond), n, float64(n)/receivers, limit)
		if n > limit {
			t.Errorf("round %d: %d connection-record writes for %d receivers: a reconnect storm (limit %d)", round+1, n, receivers, limit)
		}
	}
}

// registerAll registers every endpoint the way `micboard receiver add`
// does, a few at a time.
func registerAll(t *testing.T, st *store.Store, eps []sim.Endpoint) {
	t.Helper()
	sem := make(chan struct{}, 8)
	errs := make(chan error, len(eps))
	var wg sync.WaitGroup
	for _, ep := range eps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := monitor.Register(ctx, st, ep.Vendor, ep.Host, ep.Port, nil); err != nil {
				errs <- fmt.Errorf("register %s: %w", ep.Addr(), err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
