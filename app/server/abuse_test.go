package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/config"
	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/monitor"
	"micboard/app/server"
	"micboard/app/store"
	"micboard/app/web"
)

// abuseSizes is how hard one run of the HTTP abuse test pushes.
type abuseSizes struct {
	receivers int
	// slowHeaders and slowBodies are opened at once in each of waves; the
	// server must end every one at its timeout before the next wave.
	slowHeaders, slowBodies, waves int
	readers, stalled               int // live streams: reading, never reading
	oversized                      int // of each oversized request kind
	dialers                        int // slow connections dialled at once
	// timeouts are tight, so the abuse ends in seconds: what is tested is
	// that the server's timeouts end the connections, not the defaults.
	timeouts web.Timeouts
	// meterRate is what the fleet is asked for: it sets how fast a stream
	// that is not read fills its buffers.
	meterRate string
	// dropWithin is how soon the server must drop a stream whose client
	// stopped reading: its write deadline (10 s in app/web) plus the time
	// the fleet's updates take to fill the socket buffers.
	dropWithin time.Duration
}

// abuseGrace is how long past its timeout a connection may take to end on
// a loaded two-core machine under the race detector.
const abuseGrace = 3 * time.Second

// healthBudget is the worst /healthz answer a load balancer may see.
const healthBudget = 100 * time.Millisecond

// Abusive clients never starve the others: while connections that send
// half a request, announce a body they never send, ask with oversized
// headers or queries, or open live streams (some never read) pile up,
// /healthz answers 200 within 100 ms, nothing answers 500, every abusive
// connection ends once its timeout passes, and the process hands back its
// file descriptors and memory afterwards.
func TestAbusiveClientsNeverStarveOthers(t *testing.T) {
	sz := abuseSizes{receivers: 10, slowHeaders: 200, slowBodies: 200, waves: 1, readers: 240, stalled: 60, oversized: 4, dialers: 4,
		timeouts:  web.Timeouts{ReadHeader: time.Second, Read: 2 * time.Second, Write: 3 * time.Second, Idle: 3 * time.Second},
		meterRate: "100ms", dropWithin: 25 * time.Second}
	if soak() {
		// The original finding was 2 × 10,000 slow connections; they come
		// in waves here, so that with 3,000 streams open the test stays
		// within 20,000 file descriptors for both ends of every socket.
		// 3,000 streams keep two cores busy under the race detector, so a
		// stream's handler may start seconds after its request was read:
		// the timeouts leave room for that, and the fleet meters at the
		// default rate.
		sz = abuseSizes{receivers: 40, slowHeaders: 2000, slowBodies: 2000, waves: 5, readers: 2400, stalled: 600, oversized: 10, dialers: 32,
			timeouts:  web.Timeouts{ReadHeader: 2 * time.Second, Read: 5 * time.Second, Write: 10 * time.Second, Idle: 10 * time.Second},
			meterRate: "1s", dropWithin: 90 * time.Second}
	}
	abuseTimeouts := sz.timeouts
	if _, err := openFDs(); err != nil {
		t.Skipf("counting file descriptors needs /proc: %v", err)
	}
	in := startInstance(t, dbtest.New(t), map[string]string{"MICBOARD_METER_RATE": sz.meterRate}, sz.receivers, server.Options{Timeouts: abuseTimeouts})
	capPerClient := in.cfg.MaxConnsPerClient
	if capPerClient <= 0 {
		t.Fatalf("the default configuration has no per-client connection cap")
	}

	// Warm up what every later request uses (templates, renderings, the
	// stream hub), so the baseline is the steady state.
	for _, p := range []string{"/", "/board/grid", "/healthz"} {
		if code := getStatus(t, in.base+p); code != http.StatusOK {
			t.Fatalf("%s before the abuse: %d", p, code)
		}
	}
	runtime.GC()
	time.Sleep(300 * time.Millisecond)
	base := sampleMem(t)

	watch := watchHealth(in.base, 50*time.Millisecond)
	cpu := startCPUShare(t)
	peak := trackPeak(base)
	tl := &tally{statuses: map[int]int{}, longest: map[string]time.Duration{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Each abusive client dials from its own loopback address and holds
	// fewer connections than the per-client cap, so it is the timeouts
	// that end its connections, not the cap refusing them. One greedy
	// client below checks the cap as well.
	perSource := capPerClient * 3 / 4
	ab := abuser{target: in.addr, perSource: perSource}

	// Live streams, opened first so they are open throughout.
	var streams sync.WaitGroup
	readers := make([]*streamReader, sz.readers)
	stalled := make([]net.Conn, 0, sz.stalled)
	stalledAt := time.Now()
	for i := range sz.stalled {
		c, err := ab.dial(ctx, 5, i, 4<<10)
		if err != nil {
			t.Fatalf("stalled stream %d: %v", i, err)
		}
		defer c.Close()
		// A page reconnecting after a while: its catch-up comes at once.
		if _, err := io.WriteString(c, streamRequest("/board/events?since=1")); err != nil {
			t.Fatalf("stalled stream %d: %v", i, err)
		}
		stalled = append(stalled, c)
	}
	// A stream that never reads is dropped once a write has waited its
	// deadline. Its client's socket cannot tell (the server's FIN waits
	// behind unsent data), so the kernel's table of the server's side is
	// watched.
	dropped := watchDropped(t, in.addr, 5)
	var opening sync.WaitGroup
	var reopened atomic.Int64
	openErrs := make(chan error, len(readers))
	for w := range 4 { // four browsers at a time
		opening.Add(1)
		go func() {
			defer opening.Done()
			for i := w; i < len(readers); i += 4 {
				r, err := openStreamReader(ctx, ab, i, tl)
				// A browser whose stream was cut before its answer tries
				// again after the stream's retry delay, as EventSource does.
				for try := 0; err != nil && try < 3; try++ {
					reopened.Add(1)
					time.Sleep(2 * time.Second)
					r, err = openStreamReader(ctx, ab, i, tl)
				}
				if err != nil {
					openErrs <- fmt.Errorf("stream %d: %w", i, err)
					return
				}
				readers[i] = r
				streams.Add(1)
				go func() { defer streams.Done(); r.read() }()
			}
		}()
	}
	opening.Wait()
	defer func() {
		for _, r := range readers {
			if r != nil {
				r.conn.Close()
			}
		}
	}()
	close(openErrs)
	for err := range openErrs {
		t.Fatal(err)
	}

	// Waves of slow connections, with oversized requests alongside each
	// and the greedy client alongside the first. Oversized means 100 KB
	// query values, and 1.1 MB, past net/http's 1 MB limit for a request's
	// line and headers; the filler is shared, so the clients do not copy
	// megabytes for every request.
	big, huge := bytes.Repeat([]byte("9"), 100<<10), bytes.Repeat([]byte("a"), 1100<<10)
	oversized := []struct {
		head string
		fill []byte
		tail string
	}{
		{"GET / HTTP/1.1\r\nHost: micboard\r\nX-Filler: ", huge, "\r\n\r\n"},
		{"GET /?loc=", big, " HTTP/1.1\r\nHost: micboard\r\nConnection: close\r\n\r\n"},
		{"GET /board/grid?loc=", big, " HTTP/1.1\r\nHost: micboard\r\nConnection: close\r\n\r\n"},
		{"GET /board/events?loc=", big, " HTTP/1.1\r\nHost: micboard\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n"},
		{"GET /kiosk/", big, " HTTP/1.1\r\nHost: micboard\r\nConnection: close\r\n\r\n"},
		{"GET /?loc=", huge, " HTTP/1.1\r\nHost: micboard\r\nConnection: close\r\n\r\n"},
	}
	for w := range sz.waves {
		var wg sync.WaitGroup
		// Pace the dials, not the waiting: the abusers share the server's two
		// cores here, and their own dialling is not the server's cost.
		dials := make(chan struct{}, sz.dialers)
		launch := func(block, i int, kind string, within time.Duration, req ...[]byte) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dials <- struct{}{}
				c, err := ab.dial(ctx, block, i, 0)
				<-dials
				if err != nil {
					tl.fail(kind, fmt.Sprintf("dial: %v", err))
					return
				}
				defer c.Close()
				tl.endsWithin(c, kind, within, req)
			}()
		}
		for i := range sz.slowHeaders {
			// Half a request line, or a request line and half a header.
			req := "GET /board/gr"
			if i%2 == 1 {
				req = "GET /board/grid HTTP/1.1\r\nHost: micb"
			}
			launch(2, i, "slow header", abuseTimeouts.ReadHeader+abuseGrace, []byte(req))
		}
		for i := range sz.slowBodies {
			// A body announced and never sent, to a route that reads it
			// (the heartbeat) and to one that answers without it.
			path := "/kiosk/" + strings.Repeat("k", 43) + "/heartbeat"
			if i%2 == 1 {
				path = "/"
			}
			req := "POST " + path + " HTTP/1.1\r\nHost: micboard\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
			launch(3, i, "slow body", abuseTimeouts.Read+abuseGrace, []byte(req))
		}
		// One oversized request at a time, from one client. Under the race
		// detector, reading several megabyte-long requests at once holds
		// both cores in its bookkeeping for hundreds of milliseconds (plain
		// net/http shows the same); without it such a burst costs the
		// server tens of milliseconds.
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range sz.oversized {
				for _, r := range oversized {
					c, err := ab.dial(ctx, 6, 0, 0)
					if err != nil {
						tl.fail("oversized", fmt.Sprintf("dial: %v", err))
						return
					}
					tl.endsWithin(c, "oversized", abuseGrace, [][]byte{[]byte(r.head), r.fill, []byte(r.tail)})
					c.Close()
				}
			}
		}()
		if w == 0 {
			// One greedy client past the cap, dialling as fast as it can:
			// its extra connections are answered 429 at once, its others
			// end at the header timeout.
			wg.Add(1)
			go func() {
				defer wg.Done()
				var held []net.Conn
				for range capPerClient + 40 {
					c, err := ab.dial(ctx, 7, 0, 0)
					if err != nil {
						tl.fail("greedy", fmt.Sprintf("dial: %v", err))
						break
					}
					held = append(held, c)
				}
				var each sync.WaitGroup
				for _, c := range held {
					each.Add(1)
					go func() {
						defer each.Done()
						defer c.Close()
						tl.endsWithin(c, "greedy", abuseTimeouts.ReadHeader+abuseGrace, nil)
					}()
				}
				each.Wait()
			}()
		}
		wg.Wait()
	}

	// Every reading stream still gets its live updates.
	waitFor(t, 10*time.Second, "events on every reading stream", func() error {
		for i, r := range readers {
			if r.events.Load() == 0 {
				return fmt.Errorf("stream %d got no event (status %d)", i, r.status.Load())
			}
		}
		return nil
	})
	// The server has dropped the streams that never read.
	stalledLeft, stalledDropped, err := dropped.wait(stalledAt.Add(sz.dropWithin))
	if err != nil {
		t.Fatalf("watch the streams that never read: %v", err)
	}
	peakMem := peak.stop()
	var drains sync.WaitGroup
	for _, c := range stalled {
		drains.Add(1)
		go func() {
			defer drains.Done()
			defer c.Close()
			// Reading now finds what was queued, then the end.
			code, ended := drain(c, 3*time.Second)
			tl.status("stalled stream", code)
			if !ended {
				tl.fail("stalled stream", "still sending after the server dropped it")
			}
		}()
	}
	drains.Wait()

	// The crowd leaves.
	leaving := time.Now()
	for _, r := range readers {
		r.conn.Close()
	}
	streams.Wait()
	// Let go of the clients' buffers, so the heap figures below are the
	// server's.
	clear(readers)
	clear(stalled)
	var fdsAfter int
	waitFor(t, 15*time.Second, "file descriptors back to the baseline", func() error {
		n, err := openFDs()
		if err != nil {
			return err
		}
		fdsAfter = n
		if n > base.fds+12 {
			return fmt.Errorf("%d open, %d before the abuse", n, base.fds)
		}
		return nil
	})
	fdRecovery := time.Since(leaving)
	time.Sleep(2 * time.Second) // the web layer hands memory back in the background
	after := sampleMem(t)
	probes, worst, failures := watch.stop()
	others := cpu.othersShare(t)
	// What is still in use once the garbage is gone: two cycles, since
	// pooled buffers (net/http's, Echo's) survive the first in the pools'
	// victim caches.
	runtime.GC()
	runtime.GC()
	var live runtime.MemStats
	runtime.ReadMemStats(&live)

	for _, tile := range in.srv.Board.Tiles() {
		if !tile.Online {
			t.Errorf("receiver %d went offline during the abuse", tile.ReceiverID)
		}
	}
	if code := getStatus(t, in.base+"/board/grid"); code != http.StatusOK {
		t.Errorf("/board/grid after the abuse: %d", code)
	}

	t.Logf("HTTP abuse (%d slow-header + %d slow-body conns × %d waves, %d oversized, %d reading + %d stalled streams, %d receivers): "+
		"/healthz worst %s over %d probes, %d failed; longest lives: slow header %s (timeout %s), slow body %s (timeout %s); stalled streams dropped within %s; %d stream opens retried; "+
		"fds %d → peak %d → %d (back in %s); HeapInuse %s → peak %s → %s (%s live after GC); Sys %s → peak %s → %s; RSS %s → peak %s → %s%s; "+
		"other processes used %.0f%% of the machine; statuses %v",
		sz.slowHeaders, sz.slowBodies, sz.waves, sz.oversized*len(oversized), sz.readers, sz.stalled, sz.receivers,
		worst.Round(time.Millisecond), probes, len(failures), tl.longest["slow header"].Round(100*time.Millisecond), abuseTimeouts.ReadHeader,
		tl.longest["slow body"].Round(100*time.Millisecond), abuseTimeouts.Read, stalledDropped.Round(100*time.Millisecond), reopened.Load(),
		base.fds, peakMem.fds, fdsAfter, fdRecovery.Round(100*time.Millisecond),
		mb(base.heapInuse), mb(peakMem.heapInuse), mb(after.heapInuse), mb(live.HeapInuse), mb(base.sys), mb(peakMem.sys), mb(after.sys),
		mb(base.rss), mb(peakMem.rss), mb(after.rss), raceNote, others*100, tl.statuses)

	// A status other than 200 is always a failure. Lateness is only the
	// server's when the machine was its own: with other processes taking
	// the CPU (tests run in parallel), a probe or a connection waits for a
	// core, not for the server, and the figures above say so.
	busy := others > busyMachine
	for _, f := range failures {
		if f.noAnswer && busy {
			t.Logf("/healthz got no answer, not held against the server: other processes used %.0f%% of the machine: %s", others*100, f.what)
			continue
		}
		t.Errorf("/healthz failed during the abuse (%d probes): %s", probes, f.what)
	}
	if worst > healthBudgetHere {
		if !busy {
			t.Errorf("/healthz took %s at worst; want within %s%s", worst, healthBudgetHere, raceNote)
		} else {
			t.Logf("/healthz took %s at worst, not held to %s: other processes used %.0f%% of the machine", worst, healthBudgetHere, others*100)
		}
	}
	for _, s := range tl.served5xx {
		t.Errorf("abusive request answered %s", s)
	}
	if busy && len(tl.lingered) > 0 {
		t.Logf("%d connections outlived their timeouts by more than %s, not held against the server: other processes used %.0f%% of the machine; first: %s",
			len(tl.lingered), abuseGrace, others*100, tl.lingered[0])
		tl.lingered = nil
	}
	for i, s := range tl.lingered {
		if i == 5 {
			t.Errorf("… and %d more", len(tl.lingered)-5)
			break
		}
		t.Errorf("connection outlived its timeout: %s", s)
	}
	for i, s := range tl.errs {
		if i == 5 {
			t.Errorf("… and %d more", len(tl.errs)-5)
			break
		}
		t.Errorf("abusive client: %s", s)
	}
	if stalledLeft > 0 {
		t.Errorf("%d of %d streams that never read were still open %s after they stopped reading", stalledLeft, sz.stalled, stalledDropped.Round(time.Second))
	}
	if tl.statuses[http.StatusTooManyRequests] == 0 {
		t.Errorf("the greedy client was never refused past the cap of %d connections", capPerClient)
	}
	if got := tl.statuses[http.StatusOK]; got < sz.readers {
		t.Errorf("%d streams answered 200, want %d", got, sz.readers)
	}
	if peakMem.heapInuse <= base.heapInuse {
		t.Errorf("no heap growth measured with %d streams open: the peak was not sampled", sz.readers+sz.stalled)
	}
	// Nothing a closed connection used stays in use: the live heap returns
	// near where it was.
	if live.HeapInuse > 2*base.heapInuse {
		t.Errorf("HeapInuse %s after the streams closed and a GC; %s before, %s at the peak: want within 2× of before",
			mb(live.HeapInuse), mb(base.heapInuse), mb(peakMem.heapInuse))
	}
	// And the process does not sit at its peak: the web layer hands the
	// memory back once many streams closed, without waiting for a GC.
	if after.heapInuse > peakMem.heapInuse/2 {
		t.Errorf("HeapInuse %s after the streams closed, %s at the peak: want well below it", mb(after.heapInuse), mb(peakMem.heapInuse))
	}
}

// instance is one running Micboard over a simulated fleet.
type instance struct {
	srv   *server.Server
	st    *store.Store
	cfg   config.Config
	fleet *sim.Fleet
	// receiverIDs maps a simulated receiver's port to its id.
	receiverIDs map[int]int64
	addr        string // host:port of the web server
	base        string // its URL
}

// startInstance registers a simulated fleet of n receivers in bdb and
// serves Micboard over it on a loopback port until the test ends; env sets
// MICBOARD_* variables. It returns once every receiver is online.
func startInstance(t *testing.T, bdb *bun.DB, env map[string]string, receivers int, o server.Options) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := store.New(bdb)
	fleet, err := sim.StartFleet(sim.FleetConfig{Receivers: receivers, Models: []string{"ulxd4q", "ad4q"}, Host: "127.0.0.1",
		Scenario: sim.ScenarioSteady, Seed: 5, MeterJitter: 6, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Stop() })
	ids := map[int]int64{}
	for _, ep := range fleet.Endpoints() {
		rx, err := monitor.Register(ctx, st, ep.Vendor, ep.Host, ep.Port, nil)
		if err != nil {
			t.Fatalf("register %s: %v", ep.Addr(), err)
		}
		ids[ep.Port] = rx.ID
	}
	cfg, err := config.Parse(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := env["MICBOARD_METER_RATE"]; !ok {
		cfg.MeterRate = 100 * time.Millisecond
	}
	cfg.PublicBoard = true
	o.Config, o.DB, o.Version = cfg, bdb, "test"
	if o.Logger == nil {
		o.Logger = quiet
	}
	srv, err := server.New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	in := &instance{srv: srv, st: st, cfg: cfg, fleet: fleet, receiverIDs: ids, addr: ln.Addr().String(), base: "http://" + ln.Addr().String()}
	waitFor(t, 20*time.Second, "fleet online", func() error {
		tiles := srv.Board.Tiles()
		if len(tiles) == 0 {
			return fmt.Errorf("board empty")
		}
		for _, tl := range tiles {
			if !tl.Online {
				return fmt.Errorf("receiver %d offline", tl.ReceiverID)
			}
		}
		return nil
	})
	return in
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// healthWatch probes /healthz on a fresh connection every interval, as a
// load balancer would, and keeps the worst latency and every failure.
type healthWatch struct {
	done chan struct{}
	quit chan struct{}

	mu       sync.Mutex
	probes   int
	worst    time.Duration
	failures []probeFailure
}

// probeFailure is a probe that got no 200; noAnswer tells one that got no
// answer at all (timed out, or its connection was closed unanswered).
type probeFailure struct {
	what     string
	noAnswer bool
}

func watchHealth(base string, every time.Duration) *healthWatch {
	h := &healthWatch{done: make(chan struct{}), quit: make(chan struct{})}
	// A new connection per probe: a client that cannot get in (no file
	// descriptor left, a full accept queue) counts, not only a slow answer.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		defer close(h.done)
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			select {
			case <-h.quit:
				return
			case <-tk.C:
			}
			start := time.Now()
			res, err := client.Get(base + "/healthz")
			if err == nil {
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			took := time.Since(start)
			h.mu.Lock()
			h.probes++
			h.worst = max(h.worst, took)
			switch {
			case err != nil:
				h.failures = append(h.failures, probeFailure{what: fmt.Sprintf("%s: %v", start.Format("15:04:05.000"), err), noAnswer: true})
			case res.StatusCode != http.StatusOK:
				h.failures = append(h.failures, probeFailure{what: fmt.Sprintf("%s: %s", start.Format("15:04:05.000"), res.Status)})
			}
			h.mu.Unlock()
		}
	}()
	return h
}

func (h *healthWatch) stop() (probes int, worst time.Duration, failures []probeFailure) {
	close(h.quit)
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.probes, h.worst, h.failures
}

// busyMachine is the share of the machine's CPU other processes may take
// before a late probe is blamed on them rather than on the server. Their
// share is averaged over the abuse, but they take it in bursts (a browser
// starting, a test binary linking): at a quarter of a two-core machine a
// probe was seen waiting 600 ms for a core while the same run alone
// answered within 80 ms.
const busyMachine = 0.15

// cpuShare measures how much CPU other processes take from a moment on.
type cpuShare struct {
	busy, total, self uint64
}

func startCPUShare(t *testing.T) cpuShare {
	t.Helper()
	c, err := readCPU()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// othersShare is the share (0..1) of the whole machine's CPU time used by
// other processes since the start.
func (c cpuShare) othersShare(t *testing.T) float64 {
	t.Helper()
	now, err := readCPU()
	if err != nil {
		t.Fatal(err)
	}
	total := float64(now.total - c.total)
	if total <= 0 {
		return 0
	}
	others := float64(now.busy-c.busy) - float64(now.self-c.self)
	return max(others, 0) / total
}

// readCPU reads the machine's busy and total CPU time and this process's,
// in clock ticks, from /proc.
func readCPU() (cpuShare, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuShare{}, fmt.Errorf("read CPU times: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
	if len(f) < 9 || f[0] != "cpu" {
		return cpuShare{}, fmt.Errorf("read CPU times: unexpected %q", line)
	}
	var c cpuShare
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		c.total += n
		if i != 3 && i != 4 && i < 8 { // not idle, iowait, guest
			c.busy += n
		}
	}
	b, err = os.ReadFile("/proc/self/stat")
	if err != nil {
		return cpuShare{}, fmt.Errorf("read own CPU time: %w", err)
	}
	// pid (comm) state ppid …: utime and stime are the 14th and 15th
	// fields, the 12th and 13th after the command name.
	_, rest, _ := strings.Cut(string(b), ") ")
	g := strings.Fields(rest)
	if len(g) < 13 {
		return cpuShare{}, fmt.Errorf("read own CPU time: unexpected %q", b)
	}
	ut, _ := strconv.ParseUint(g[11], 10, 64)
	st, _ := strconv.ParseUint(g[12], 10, 64)
	c.self = ut + st
	return c, nil
}

// memFigures is what the process holds at one moment.
type memFigures struct {
	heapInuse, sys, rss uint64
	fds                 int
}

func sampleMem(t *testing.T) memFigures {
	t.Helper()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds, err := openFDs()
	if err != nil {
		t.Fatal(err)
	}
	return memFigures{heapInuse: ms.HeapInuse, sys: ms.Sys, rss: vmRSS(), fds: fds}
}

// peakTracker samples memory and descriptors until stopped and keeps the
// highest of each.
type peakTracker struct {
	quit chan struct{}
	done chan memFigures
}

func trackPeak(start memFigures) *peakTracker {
	p := &peakTracker{quit: make(chan struct{}), done: make(chan memFigures, 1)}
	go func() {
		top := start
		tk := time.NewTicker(250 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-p.quit:
				p.done <- top
				return
			case <-tk.C:
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fds, _ := openFDs()
			top = memFigures{heapInuse: max(top.heapInuse, ms.HeapInuse), sys: max(top.sys, ms.Sys), rss: max(top.rss, vmRSS()), fds: max(top.fds, fds)}
		}
	}()
	return p
}

func (p *peakTracker) stop() memFigures {
	close(p.quit)
	return <-p.done
}

// openFDs counts the process's open file descriptors.
func openFDs() (int, error) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, fmt.Errorf("count open files: %w", err)
	}
	return len(ents) - 1, nil // less the directory being read
}

// vmRSS is the process's resident memory in bytes (0 when unknown).
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mb(b uint64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

// abuser dials the server from many loopback addresses (all of 127/8 is
// local on Linux), perSource connections from each, so each source is one
// client to the per-client cap.
type abuser struct {
	target    string
	perSource int
}

// dial opens connection i of a block of sources (127.block.x.y); rcvbuf,
// when set, shrinks the receive buffer before the handshake so a client
// that never reads stalls the server's writes soon.
func (a abuser) dial(ctx context.Context, block, i, rcvbuf int) (net.Conn, error) {
	n := i / a.perSource
	src := net.IPv4(127, byte(block), byte(n/250), byte(n%250+1))
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 5 * time.Second}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) })
			return errors.Join(err, serr)
		}
	}
	c, err := d.DialContext(ctx, "tcp", a.target)
	if err != nil {
		return nil, fmt.Errorf("dial from %s: %w", src, err)
	}
	return c, nil
}

func streamRequest(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: micboard\r\nAccept: text/event-stream\r\n\r\n"
}

// tally collects what the server answered the abusive clients.
type tally struct {
	mu        sync.Mutex
	statuses  map[int]int
	longest   map[string]time.Duration // by kind, of the connections that ended
	served5xx []string
	lingered  []string
	errs      []string
}

func (tl *tally) status(kind string, code int) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.statuses[code]++
	if code >= 500 {
		tl.served5xx = append(tl.served5xx, fmt.Sprintf("%d to a %s request", code, kind))
	}
}

func (tl *tally) fail(kind, what string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.errs = append(tl.errs, kind+": "+what)
}

// endsWithin sends req (possibly incomplete) on c and reads until the
// server closes the connection, which it must do within the given time.
func (tl *tally) endsWithin(c net.Conn, kind string, within time.Duration, req [][]byte) {
	start := time.Now()
	// The server may answer and hang up before an oversized request is
	// written: send it alongside the reading.
	go func() {
		for _, b := range req {
			if _, err := c.Write(b); err != nil {
				return
			}
		}
	}()
	code, ended := drain(c, within)
	if code != 0 {
		tl.status(kind, code)
	}
	if !ended {
		tl.linger(kind, fmt.Sprintf("open after %s", time.Since(start).Round(time.Millisecond)))
		return
	}
	tl.mu.Lock()
	tl.longest[kind] = max(tl.longest[kind], time.Since(start))
	tl.mu.Unlock()
}

func (tl *tally) linger(kind, what string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.lingered = append(tl.lingered, kind+" connection "+what)
}

// drain reads c until the server ends it or within passes; it returns the
// status of the first answer read (0: none) and whether the connection
// ended (closed or reset by the server).
func drain(c net.Conn, within time.Duration) (code int, ended bool) {
	_ = c.SetReadDeadline(time.Now().Add(within))
	var head bytes.Buffer
	buf := make([]byte, 4<<10)
	for {
		n, err := c.Read(buf)
		if head.Len() < 64 {
			head.Write(buf[:min(n, 64)])
		}
		if err != nil {
			return statusOf(head.String()), !errors.Is(err, os.ErrDeadlineExceeded)
		}
	}
}

// dropWatch follows how many streams from one block of sources the server
// still holds.
type dropWatch struct {
	done chan struct{}
	quit chan struct{}
	left int
	at   time.Duration // how long until none was left
	seen bool          // any was seen
	err  error
}

func watchDropped(t *testing.T, addr string, block int) *dropWatch {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	w := &dropWatch{done: make(chan struct{}), quit: make(chan struct{})}
	start := time.Now()
	go func() {
		defer close(w.done)
		for {
			n, err := establishedFrom(port, block)
			if err != nil {
				w.err = err
				return
			}
			w.left, w.at = n, time.Since(start)
			w.seen = w.seen || n > 0
			if w.seen && n == 0 {
				return
			}
			select {
			case <-w.quit:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

// wait returns how many streams are left by the deadline (0 once all
// were dropped) and when the last went.
func (w *dropWatch) wait(deadline time.Time) (left int, at time.Duration, err error) {
	select {
	case <-w.done:
	case <-time.After(time.Until(deadline)):
		close(w.quit)
		<-w.done
	}
	if w.err == nil && !w.seen {
		w.err = errors.New("no stream was ever open")
	}
	return w.left, w.at, w.err
}

// establishedFrom counts the server's established TCP connections on port
// whose peer is in 127.block.0.0/16, from the kernel's table.
func establishedFrom(port string, block int) (int, error) {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0, fmt.Errorf("read the TCP table: %w", err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return 0, fmt.Errorf("server port %q: %w", port, err)
	}
	local := fmt.Sprintf("0100007F:%04X", p)
	n := 0
	for _, line := range strings.Split(string(b), "\n")[1:] {
		// sl local_address rem_address st …, addresses in hex, IPv4 bytes
		// in the host's (little-endian) order: 127.5.x.y is yyxx057F.
		f := strings.Fields(line)
		if len(f) < 4 || f[1] != local || f[3] != "01" {
			continue
		}
		if ip, _, ok := strings.Cut(f[2], ":"); ok && len(ip) == 8 && strings.HasSuffix(ip, fmt.Sprintf("%02X7F", block)) {
			n++
		}
	}
	return n, nil
}

// statusOf reads the status code of an HTTP/1.1 status line.
func statusOf(s string) int {
	f := strings.Fields(s)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
		return 0
	}
	code, _ := strconv.Atoi(f[1])
	return code
}

// streamReader is one browser reading a live stream.
type streamReader struct {
	conn   net.Conn
	res    *http.Response
	status atomic.Int64
	events atomic.Int64
}

func openStreamReader(ctx context.Context, ab abuser, i int, tl *tally) (*streamReader, error) {
	c, err := ab.dial(ctx, 4, i, 0)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(c, streamRequest("/board/events")); err != nil {
		c.Close()
		return nil, fmt.Errorf("ask for the stream: %w", err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("read the stream's answer: %w", err)
	}
	tl.status("stream", res.StatusCode)
	r := &streamReader{conn: c, res: res}
	r.status.Store(int64(res.StatusCode))
	return r, nil
}

// read counts events until the connection ends.
func (r *streamReader) read() {
	defer r.res.Body.Close()
	sc := bufio.NewScanner(r.res.Body)
	sc.Buffer(make([]byte, 4<<10), 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "event: ") && !strings.HasPrefix(sc.Text(), "event: ping") {
			r.events.Add(1)
		}
	}
}
