package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"micboard/app/db"
	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/monitor"
	"micboard/app/store"
)

// Bounds the issue sets for several instances on one database.
const (
	clusterTTL        = 10 * time.Second // MICBOARD_LEASE_TTL of every instance
	clusterFailover   = 10 * time.Second // a dead instance's receivers watched again within
	clusterLatency    = time.Second      // a change reaches every instance's stream within
	clusterHandover   = 3 * time.Second  // a stopped instance's receivers watched again within
	clusterReceivers  = 60
	clusterSettleWait = 30 * time.Second
)

// TestInstancesShareTheFleet runs three `micboard serve` instances on one
// database watching 60 simulated receivers: each receiver gets exactly one
// TCP connection from the instances, spread over all three; a change on any
// receiver reaches the board stream of every instance within a second; when
// one instance is killed (SIGKILL) the others take its receivers within the
// lease time; when one is stopped (SIGTERM) it hands them over at once.
//
// It runs alone in its package (not parallel): its bounds are timings.
func TestInstancesShareTheFleet(t *testing.T) {
	ctx := context.Background()
	url := dbtest.NewURL(t)
	fdb := openFaultDB(t, url)

	fleet, err := sim.StartFleet(sim.FleetConfig{Receivers: clusterReceivers, Models: []string{"ulxd4q", "ad4q"}, Host: "127.0.0.1",
		Scenario: sim.ScenarioSteady, Seed: 14, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Stop() })
	registerFleet(t, ctx, url, fleet)
	rxs := fleet.Receivers()
	byPort := map[int]*sim.Receiver{}
	for _, rx := range rxs {
		byPort[rx.Port()] = rx
	}
	ids := map[int]int64{} // port → receiver id
	rows, err := fdb.conn.Query(ctx, "SELECT id, port FROM receivers")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var port int
		if err := rows.Scan(&id, &port); err != nil {
			t.Fatal(err)
		}
		ids[port] = id
	}
	rows.Close()
	if len(ids) != clusterReceivers {
		t.Fatalf("%d receivers registered, want %d", len(ids), clusterReceivers)
	}

	names := []string{"alpha", "bravo", "charlie"}
	procs := make([]*serveProc, len(names))
	for i, name := range names {
		procs[i] = startServer(t, map[string]string{
			"MICBOARD_DATABASE_URL": url, "MICBOARD_LISTEN": freePort(t), "MICBOARD_PUBLIC_BOARD": "true",
			"MICBOARD_LEASE_TTL": clusterTTL.String(), "MICBOARD_INSTANCE_ID": name,
		})
	}
	started := time.Now()
	for _, p := range procs {
		waitFor(t, p.base+"/readyz", http.StatusOK, p.exited, p.logs)
	}
	c := &cluster{t: t, fdb: fdb, names: names, procs: procs, alive: []int{0, 1, 2}, byPort: byPort, ids: ids}

	// (a) Exactly one connection per receiver, spread over the three.
	spread, spreadAt := c.settle(clusterSettleWait, func(o ownership) error {
		for _, i := range c.alive {
			if len(o.of(i)) == 0 {
				return fmt.Errorf("%s watches no receiver", names[i])
			}
		}
		return nil
	})
	c.checkReadyz(spread)
	t.Logf("spread: every receiver has exactly one connection %v after the start: %s", spreadAt.Sub(started).Round(10*time.Millisecond), c.describe(spread))

	// (c) A change on a receiver reaches every instance's stream, whichever
	// instance watches it.
	sctx, cancelStreams := context.WithCancel(ctx)
	defer cancelStreams()
	streams := make([]*boardStream, len(procs))
	for i, p := range procs {
		streams[i] = openBoardStream(t, sctx, p.base)
	}
	var worst time.Duration
	for round := range 2 {
		for owner := range procs {
			ports := spread.of(owner)
			lat := c.probe(streams, byPort[ports[round*len(ports)/2]])
			for i, d := range lat {
				worst = max(worst, d)
				if d > clusterLatency {
					t.Errorf("a change on a receiver %s watches reached %s's stream after %v, want within %v", names[owner], names[i], d, clusterLatency)
				}
			}
			t.Logf("change on a receiver %s watches: on the streams of %s", names[owner], c.latencies(lat))
		}
	}

	// (b) SIGKILL one: the others take its receivers within the lease time.
	victim := 2
	orphans := spread.of(victim)
	orphanIDs := map[int64]bool{}
	for _, port := range orphans {
		orphanIDs[ids[port]] = true
	}
	// The survivors' boards, read through the API meanwhile: what they
	// mark unwatched, and when.
	pctx, stopPolls := context.WithCancel(ctx)
	defer stopPolls()
	polls := []*unwatchedPoll{pollUnwatched(t, pctx, procs[0].base), pollUnwatched(t, pctx, procs[1].base)}
	killed := procs[victim].kill9(t)
	c.alive = []int{0, 1}
	moved, movedAt := c.settle(clusterFailover+5*time.Second, func(o ownership) error {
		for _, port := range orphans {
			if o[port] == victim {
				return fmt.Errorf("receiver on port %d still on %s", port, names[victim])
			}
		}
		return nil
	})
	failover := movedAt.Sub(killed)
	if failover > clusterFailover {
		t.Errorf("after SIGKILL of %s its %d receivers were watched again after %v, want within %v", names[victim], len(orphans), failover, clusterFailover)
	}
	taken := map[int]int{}
	for _, port := range orphans {
		taken[moved[port]]++
	}
	t.Logf("failover: SIGKILL of %s (%d receivers) → all watched again by the others after %v (lease TTL %v): %s; taken over: %s %d, %s %d",
		names[victim], len(orphans), failover.Round(10*time.Millisecond), clusterTTL, c.describe(moved), names[0], taken[0], names[1], taken[1])
	for owner := range 2 {
		// A receiver taken over: its changes now come from its new owner.
		var port int
		for _, p := range orphans {
			if moved[p] == owner {
				port = p
				break
			}
		}
		if port == 0 {
			continue
		}
		lat := c.probe(streams[:2], byPort[port])
		for i, d := range lat {
			if d > clusterLatency {
				t.Errorf("after the failover a change on a receiver %s took over reached %s's stream after %v, want within %v", names[owner], names[i], d, clusterLatency)
			}
		}
		t.Logf("change on a receiver %s took over: on the streams of %s", names[owner], c.latencies(lat))
	}
	// Meanwhile each survivor showed the dead one's receivers unwatched
	// until they were watched again, and never one of a live instance;
	// once all are watched again nothing stays marked.
	for i, p := range polls {
		if err := p.settled(10 * time.Second); err != nil {
			t.Errorf("%s's board: %v", names[i], err)
		}
		first, err := p.report()
		if err != nil {
			t.Errorf("%s's board: %v", names[i], err)
		}
		var earliest time.Duration
		for id, at := range first {
			if !orphanIDs[id] {
				t.Errorf("%s's board marked receiver %d unwatched, though a live instance watches it", names[i], id)
			}
			if d := at.Sub(killed); earliest == 0 || d < earliest {
				earliest = d
			}
		}
		if len(first) == 0 {
			t.Errorf("%s's board never marked any of %s's %d receivers unwatched", names[i], names[victim], len(orphans))
			continue
		}
		if earliest > clusterFailover {
			t.Errorf("%s's board marked the first of %s's receivers unwatched %v after the kill, want within %v", names[i], names[victim], earliest, clusterFailover)
		}
		t.Logf("unwatched on %s's board: %d of %s's %d receivers, the first %v after the kill",
			names[i], len(first), names[victim], len(orphans), earliest.Round(10*time.Millisecond))
	}
	stopPolls()

	// (d) SIGTERM one: it hands its receivers over at once.
	stopped := 1
	leaving := moved.of(stopped)
	if err := procs[stopped].cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	termAt := time.Now()
	c.alive = []int{0}
	_, handedAt := c.settle(clusterHandover+5*time.Second, nil)
	handover := handedAt.Sub(termAt)
	if handover > clusterHandover {
		t.Errorf("after SIGTERM of %s its %d receivers were watched again after %v, want within %v", names[stopped], len(leaving), handover, clusterHandover)
	}
	c.waitExit(procs[stopped], "SIGTERM")
	t.Logf("handover: SIGTERM of %s (%d receivers) → all watched by %s after %v",
		names[stopped], len(leaving), names[0], handover.Round(10*time.Millisecond))
	t.Logf("summary: failover %v, handover %v, cross-instance latency worst %v",
		failover.Round(10*time.Millisecond), handover.Round(10*time.Millisecond), worst.Round(time.Millisecond))

	// The last one stops: nothing stays leased, and its row goes (the
	// killed instance's stays until pruned).
	cancelStreams()
	if err := procs[0].cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.waitExit(procs[0], "SIGTERM")
	if n := fdb.int(t, "SELECT count(*) FROM receiver_leases WHERE expires_at > now()"); n != 0 {
		t.Errorf("%d receiver leases held after the last instance stopped, want 0", n)
	}
	if n := fdb.int(t, "SELECT count(*) FROM instances WHERE id <> $1", names[victim]); n != 0 {
		t.Errorf("%d instance rows left by instances that stopped cleanly, want 0", n)
	}
}

// registerFleet registers every simulated receiver the way `micboard
// receiver add` does, several at a time.
func registerFleet(t *testing.T, ctx context.Context, url string, fleet *sim.Fleet) {
	t.Helper()
	bdb, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	st := store.New(bdb)
	// The device clients log what they infer of each receiver to the
	// default logger; 60 of those lines say nothing here.
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.DiscardHandler))
	work := make(chan sim.Endpoint)
	errs := make(chan error, clusterReceivers)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ep := range work {
				if _, err := monitor.Register(ctx, st, ep.Vendor, ep.Host, ep.Port, nil); err != nil {
					errs <- fmt.Errorf("register %s: %w", ep.Addr(), err)
				}
			}
		}()
	}
	for _, ep := range fleet.Endpoints() {
		work <- ep
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// ownership maps each receiver's port to the instance (index) whose one
// connection it has.
type ownership map[int]int

// of lists the ports an instance watches, in order.
func (o ownership) of(i int) []int {
	var ports []int
	for port, owner := range o {
		if owner == i {
			ports = append(ports, port)
		}
	}
	slices.Sort(ports)
	return ports
}

// cluster is the test's view of the running instances.
type cluster struct {
	t      *testing.T
	fdb    *faultDB
	names  []string
	procs  []*serveProc
	alive  []int // indexes of the instances still running
	byPort map[int]*sim.Receiver
	ids    map[int]int64
}

// look counts the connections of the running instances to every simulated
// receiver and checks them against the receivers' own count and the
// leases: it returns who watches each receiver when each has exactly one
// connection, from the instance holding its lease.
func (c *cluster) look() (ownership, error) {
	pids := make([]int, len(c.alive))
	for k, i := range c.alive {
		pids[k] = c.procs[i].cmd.Process.Pid
	}
	conns, err := connectionsTo(pids, c.byPort)
	if err != nil {
		return nil, err
	}
	leases, err := c.leaseOwners()
	if err != nil {
		return nil, err
	}
	o := ownership{}
	for port, rx := range c.byPort {
		var from []int
		for k, n := range conns[port] {
			for range n {
				from = append(from, c.alive[k])
			}
		}
		switch {
		case len(from) != 1:
			return nil, fmt.Errorf("receiver on port %d has %d connections from the instances", port, len(from))
		case rx.Clients() != 1:
			return nil, fmt.Errorf("receiver on port %d counts %d clients", port, rx.Clients())
		case leases[c.ids[port]] != c.names[from[0]]:
			return nil, fmt.Errorf("receiver on port %d is watched by %s but leased to %q", port, c.names[from[0]], leases[c.ids[port]])
		}
		o[port] = from[0]
	}
	return o, nil
}

func (c *cluster) leaseOwners() (map[int64]string, error) {
	rows, err := c.fdb.conn.Query(context.Background(), "SELECT receiver_id, owner FROM receiver_leases WHERE expires_at > now()")
	if err != nil {
		return nil, fmt.Errorf("read receiver leases: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var owner string
		if err := rows.Scan(&id, &owner); err != nil {
			return nil, fmt.Errorf("read receiver leases: %w", err)
		}
		out[id] = owner
	}
	return out, rows.Err()
}

// settle waits until look finds every receiver watched once and cond (when
// given) holds, with the same owners on looks a second apart. It returns
// them and when they were first seen.
func (c *cluster) settle(within time.Duration, cond func(ownership) error) (ownership, time.Time) {
	c.t.Helper()
	var last ownership
	var since time.Time
	var lastErr error
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, i := range c.alive {
			select {
			case err := <-c.procs[i].exited:
				c.t.Fatalf("%s exited (%v):\n%s", c.names[i], err, c.procs[i].logs.String())
			default:
			}
		}
		o, err := c.look()
		if err == nil && cond != nil {
			err = cond(o)
		}
		switch {
		case err != nil:
			last, lastErr = nil, err
		case last == nil || !maps.Equal(o, last):
			last, since = o, time.Now()
		case time.Since(since) >= time.Second:
			return last, since
		}
		time.Sleep(50 * time.Millisecond)
	}
	var logs strings.Builder
	for _, i := range c.alive {
		fmt.Fprintf(&logs, "--- %s\n%s", c.names[i], c.procs[i].logs.String())
	}
	c.t.Fatalf("receivers not each watched once within %v: %v\n%s", within, lastErr, logs.String())
	return nil, time.Time{}
}

// describe says how many receivers each running instance watches.
func (c *cluster) describe(o ownership) string {
	parts := make([]string, 0, len(c.alive))
	for _, i := range c.alive {
		parts = append(parts, fmt.Sprintf("%s %d", c.names[i], len(o.of(i))))
	}
	return strings.Join(parts, ", ")
}

// checkReadyz compares what each instance's /readyz says it holds with the
// connections it has.
func (c *cluster) checkReadyz(o ownership) {
	c.t.Helper()
	for _, i := range c.alive {
		var h struct {
			Status string `json:"status"`
			Leases *struct {
				Instance string `json:"instance"`
				Held     int    `json:"held"`
				Current  bool   `json:"current"`
			} `json:"leases"`
		}
		if err := json.Unmarshal([]byte(fetch(c.t, c.procs[i].base+"/readyz")), &h); err != nil {
			c.t.Fatalf("%s /readyz: %v", c.names[i], err)
		}
		switch {
		case h.Leases == nil:
			c.t.Errorf("%s /readyz has no leases", c.names[i])
		case h.Leases.Instance != c.names[i] || !h.Leases.Current || h.Leases.Held != len(o.of(i)):
			c.t.Errorf("%s /readyz leases %+v, want instance %s, current, holding the %d receivers it watches", c.names[i], *h.Leases, c.names[i], len(o.of(i)))
		}
	}
}

// probeSeq numbers the channel names probes write.
var probeSeq int

// probe renames a channel on rx and returns how long the new name took to
// reach each stream; it fails the test when one never shows it.
func (c *cluster) probe(streams []*boardStream, rx *sim.Receiver) []time.Duration {
	c.t.Helper()
	probeSeq++
	name := fmt.Sprintf("E2E%05d", probeSeq) // ULX-D keeps 8 characters
	sent := time.Now()
	if err := rx.SetName(1+probeSeq%rx.Channels(), name); err != nil {
		c.t.Fatal(err)
	}
	lat := make([]time.Duration, len(streams))
	deadline := sent.Add(5 * time.Second)
	for i, s := range streams {
		for {
			if at, ok := s.seenAt(name); ok {
				lat[i] = at.Sub(sent)
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("%q on %s never reached %s's stream: %v", name, rx.Addr(), c.names[i], s.failure())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return lat
}

func (c *cluster) latencies(lat []time.Duration) string {
	parts := make([]string, len(lat))
	for i, d := range lat {
		parts[i] = fmt.Sprintf("%s %v", c.names[i], d.Round(time.Millisecond))
	}
	return strings.Join(parts, ", ")
}

func (c *cluster) waitExit(p *serveProc, how string) {
	c.t.Helper()
	select {
	case err := <-p.exited:
		if err != nil {
			c.t.Fatalf("serve exited with %v after %s\n%s", err, how, p.logs.String())
		}
	case <-time.After(15 * time.Second):
		c.t.Fatalf("serve did not stop after %s\n%s", how, p.logs.String())
	}
}

// boardStream follows an instance's /board/events and notes when each
// probe name first appears in a tile.
type boardStream struct {
	mu   sync.Mutex
	seen map[string]time.Time
	err  error
}

func openBoardStream(t *testing.T, ctx context.Context, base string) *boardStream {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/board/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		t.Fatalf("GET %s/board/events = %s", base, res.Status)
	}
	s := &boardStream{seen: map[string]time.Time{}}
	done := make(chan struct{})
	t.Cleanup(func() { res.Body.Close(); <-done })
	go func() {
		defer close(done)
		defer res.Body.Close()
		rd := bufio.NewReaderSize(res.Body, 64<<10)
		var event string
		for {
			line, err := rd.ReadSlice('\n')
			if err != nil && err != bufio.ErrBufferFull {
				s.mu.Lock()
				s.err = err
				s.mu.Unlock()
				return
			}
			switch {
			case bytes.HasPrefix(line, []byte("event: ")):
				event = string(bytes.TrimSpace(line[7:]))
			case bytes.HasPrefix(line, []byte("data: ")) && strings.HasPrefix(event, "t"):
				now := time.Now()
				for i := bytes.Index(line, []byte("E2E")); i >= 0 && i+8 <= len(line); {
					name := string(line[i : i+8])
					if _, err := strconv.Atoi(name[3:]); err == nil {
						s.mu.Lock()
						if _, ok := s.seen[name]; !ok {
							s.seen[name] = now
						}
						s.mu.Unlock()
					}
					next := bytes.Index(line[i+3:], []byte("E2E"))
					if next < 0 {
						break
					}
					i += 3 + next
				}
			}
		}
	}()
	return s
}

func (s *boardStream) seenAt(name string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.seen[name]
	return at, ok
}

func (s *boardStream) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return fmt.Errorf("stream ended: %w", s.err)
	}
	return fmt.Errorf("stream open, %d probe names seen", len(s.seen))
}

// connectionsTo counts the established TCP connections each process in
// pids has to each receiver's port: conns[port][k] for pids[k]. It reads
// the processes' socket descriptors and the kernel's TCP tables, so it
// sees connections the way the receivers do, whatever the instances say.
func connectionsTo(pids []int, receivers map[int]*sim.Receiver) (map[int]map[int]int, error) {
	owner := map[string]int{} // socket inode → index in pids
	for k, pid := range pids {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		fds, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("list sockets of %d: %w", pid, err)
		}
		for _, fd := range fds {
			link, err := os.Readlink(dir + "/" + fd.Name())
			if err != nil {
				continue // closed meanwhile
			}
			if inode, ok := strings.CutPrefix(link, "socket:["); ok {
				owner[strings.TrimSuffix(inode, "]")] = k
			}
		}
	}
	conns := map[int]map[int]int{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, fmt.Errorf("read TCP table: %w", err)
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode
			if len(f) < 10 || f[3] != "01" { // 01: established
				continue
			}
			k, ok := owner[f[9]]
			if !ok {
				continue
			}
			rem := f[2]
			port, err := strconv.ParseUint(rem[strings.LastIndexByte(rem, ':')+1:], 16, 16)
			if err != nil {
				continue
			}
			if _, ok := receivers[int(port)]; !ok {
				continue
			}
			if conns[int(port)] == nil {
				conns[int(port)] = map[int]int{}
			}
			conns[int(port)][k]++
		}
	}
	return conns, nil
}

// unwatchedPoll reads an instance's /api/v1/board a few times a second:
// when each receiver was first marked unwatched, and which are marked now.
type unwatchedPoll struct {
	mu    sync.Mutex
	first map[int64]time.Time
	now   map[int64]bool
	polls int
	err   error
}

func pollUnwatched(t *testing.T, ctx context.Context, base string) *unwatchedPoll {
	t.Helper()
	p := &unwatchedPoll{first: map[int64]time.Time{}}
	done := make(chan struct{})
	t.Cleanup(func() { <-done })
	go func() {
		defer close(done)
		tk := time.NewTicker(200 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
			marked, err := boardUnwatched(ctx, base)
			at := time.Now()
			p.mu.Lock()
			switch {
			case err != nil && ctx.Err() == nil:
				p.err = err
			case err == nil:
				p.now, p.polls = marked, p.polls+1
				for id := range marked {
					if _, ok := p.first[id]; !ok {
						p.first[id] = at
					}
				}
			}
			p.mu.Unlock()
		}
	}()
	return p
}

// boardUnwatched lists the receivers an instance's board marks unwatched.
func boardUnwatched(ctx context.Context, base string) (map[int64]bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/board", nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s/api/v1/board: %w", base, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/api/v1/board = %s", base, res.Status)
	}
	var board struct {
		Channels []struct {
			ReceiverID     int64      `json:"receiver_id"`
			UnwatchedSince *time.Time `json:"unwatched_since"`
		} `json:"channels"`
	}
	if err := json.NewDecoder(res.Body).Decode(&board); err != nil {
		return nil, fmt.Errorf("read %s/api/v1/board: %w", base, err)
	}
	out := map[int64]bool{}
	for _, ch := range board.Channels {
		if ch.UnwatchedSince != nil {
			out[ch.ReceiverID] = true
		}
	}
	return out, nil
}

// settled waits until the board marks nothing unwatched.
func (p *unwatchedPoll) settled(within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		p.mu.Lock()
		n, polls := len(p.now), p.polls
		p.mu.Unlock()
		if n == 0 && polls > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d receivers still marked unwatched %v after they were watched again", n, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// report returns when each receiver was first marked, and the last error.
func (p *unwatchedPoll) report() (map[int64]time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.first), p.err
}
