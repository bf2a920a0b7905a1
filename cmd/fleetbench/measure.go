package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"micboard/app/db"
	"micboard/app/device/sim"
	"micboard/app/store"
)

// result is one run's line (with several instances, a few lines).
type result struct {
	streams   int       // per instance
	ids       []string  // instances
	cpu       []float64 // % of one core, per instance
	rssMB     []float64
	watches   []int   // receivers each instance watches
	perStream float64 // bytes/s
	// lat: on the streams of the instance watching the renamed receiver;
	// xlat: on those of the other instances.
	lat, xlat []time.Duration
	probes    int
	offline   int
}

func (r result) String() string {
	per := "-"
	if r.streams > 0 {
		per = fmt.Sprintf("%.1f KB/s", r.perStream/1000)
	}
	if len(r.ids) == 1 {
		lat := "latency -"
		if len(r.lat) > 0 {
			lat = fmt.Sprintf("latency p50 %d ms p99 %d ms (%d of %d probes seen)",
				pct(r.lat, 50).Milliseconds(), pct(r.lat, 99).Milliseconds(), len(r.lat), r.probes*r.streams)
		}
		return fmt.Sprintf("streams %5d  cpu %5.1f %%  rss %4.0f MB  per stream %s  %s  offline %d",
			r.streams, r.cpu[0], r.rssMB[0], per, lat, r.offline)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "streams %5d per instance  per stream %s  offline %d", r.streams, per, r.offline)
	for i, id := range r.ids {
		fmt.Fprintf(&b, "\n  %-14s cpu %5.1f %%  rss %4.0f MB  watches %d receivers", id, r.cpu[i], r.rssMB[i], r.watches[i])
	}
	if r.streams > 0 {
		fmt.Fprintf(&b, "\n  latency on the watching instance %s; cross-instance %s (%d of %d probes seen)",
			quantiles(r.lat), quantiles(r.xlat), len(r.lat)+len(r.xlat), r.probes*r.streams*len(r.ids))
	}
	return b.String()
}

func quantiles(d []time.Duration) string {
	if len(d) == 0 {
		return "-"
	}
	return fmt.Sprintf("p50 %d ms p99 %d ms", pct(d, 50).Milliseconds(), pct(d, 99).Milliseconds())
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := min(len(s)-1, len(s)*p/100)
	return s[i]
}

// probeMark is the channel name a probe writes: ULX-D keeps 8 characters.
var probeMark = regexp.MustCompile(`LAT(\d{5})`)

// probeSeq numbers probes across runs, so a name is never written twice.
var probeSeq atomic.Int64

// run state shared by the watchers and the prober.
type bench struct {
	mu        sync.Mutex
	sent      map[int]probe
	lat, xlat []time.Duration
	offline   map[string]bool
	bytes     atomic.Int64
}

// probe is one rename: when, and which instance watches the receiver.
type probe struct {
	at    time.Time
	owner int
}

// seen notes probe k arriving on a stream of instance inst.
func (b *bench) seen(k, inst int, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.sent[k]
	switch {
	case !ok:
	case p.owner == inst:
		b.lat = append(b.lat, at.Sub(p.at))
	default:
		b.xlat = append(b.xlat, at.Sub(p.at))
	}
}

var tileID = regexp.MustCompile(`id="tile-(\d+)"`)

// watch reads one stream of instance inst until ctx ends, counting bytes
// and noting probes and offline tiles.
func (b *bench) watch(ctx context.Context, client *http.Client, url string, inst int, ready chan<- error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := client.Do(req)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("stream: %s", res.Status)
		res.Body.Close()
	}
	ready <- err
	if err != nil {
		return
	}
	defer res.Body.Close()
	rd := bufio.NewReaderSize(res.Body, 64<<10)
	seen := map[int]bool{}
	var event string
	for {
		line, err := rd.ReadSlice('\n')
		b.bytes.Add(int64(len(line)))
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
		switch {
		case bytes.HasPrefix(line, []byte("event: ")):
			event = string(bytes.TrimSpace(line[7:]))
		case bytes.HasPrefix(line, []byte("data: ")) && strings.HasPrefix(event, "t"):
			now := time.Now()
			for _, m := range probeMark.FindAllSubmatch(line, -1) {
				k, _ := strconv.Atoi(string(m[1]))
				if !seen[k] {
					seen[k] = true
					b.seen(k, inst, now)
					if os.Getenv("FB_DEBUG") != "" {
						fmt.Fprintln(os.Stderr, "seen", k, now.Format("05.000"))
					}
				}
			}
			if bytes.Contains(line, []byte(`data-status="RX_OFFLINE"`)) {
				if m := tileID.FindSubmatch(line); m != nil {
					b.mu.Lock()
					b.offline[string(m[1])] = true
					b.mu.Unlock()
				}
			}
		}
	}
}

// measure opens n streams on every instance, lets them settle, then
// measures the servers for the run's duration while a prober renames
// channels on the simulator.
func measure(ctx context.Context, o options, srvs []*server, fleet *sim.Fleet, n int) (result, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b := &bench{sent: map[int]probe{}, offline: map[string]bool{}}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n + 1, DisableCompression: true}}
	all := n * len(srvs)
	ready := make(chan error, all)
	var wg sync.WaitGroup
	for inst, srv := range srvs {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); b.watch(rctx, client, srv.base+"/board/events", inst, ready) }()
			if i%100 == 99 {
				time.Sleep(50 * time.Millisecond) // browsers arrive, they do not all connect in one instant
			}
		}
	}
	for i := 0; i < all; i++ {
		if err := <-ready; err != nil {
			cancel()
			wg.Wait()
			return result{}, fmt.Errorf("open stream %d: %w", i, err)
		}
	}
	select {
	case <-time.After(o.warmup):
	case <-ctx.Done():
		return result{}, ctx.Err()
	}

	// Who watches each receiver, so a probe's latency is told apart by
	// whether the change crossed to another instance.
	owners := map[int]int{} // port → index in srvs
	if len(srvs) > 1 {
		var err error
		if owners, err = leaseOwners(ctx, o.dbURL, srvs); err != nil {
			return result{}, err
		}
	}
	watches := make([]int, len(srvs))
	for _, i := range owners {
		watches[i]++
	}
	if len(srvs) == 1 {
		watches[0] = o.receivers
	}
	cpu0 := make([]time.Duration, len(srvs))
	for i, srv := range srvs {
		var err error
		if cpu0[i], err = procCPU(srv.cmd.Process.Pid); err != nil {
			return result{}, err
		}
	}
	bytes0, start := b.bytes.Load(), time.Now()
	rxs := fleet.Receivers()
	probes := 0
	stopProbes := make(chan struct{})
	proberDone := make(chan struct{})
	go func() {
		defer close(proberDone)
		tk := time.NewTicker(o.probes)
		defer tk.Stop()
		for {
			select {
			case <-stopProbes:
				return
			case <-tk.C:
			}
			// Off the server's stream clock, so the latencies sample all
			// its phases instead of always the same one.
			time.Sleep(time.Duration(rand.Int64N(int64(o.probes / 2))))
			k := int(probeSeq.Add(1))
			rx := rxs[k%len(rxs)]
			owner, ok := owners[rx.Port()]
			if !ok && len(srvs) > 1 {
				continue // between owners: its latency would say nothing
			}
			b.mu.Lock()
			b.sent[k] = probe{at: time.Now(), owner: owner}
			if os.Getenv("FB_DEBUG") != "" {
				fmt.Fprintln(os.Stderr, "sent", k, time.Now().Format("05.000"))
			}
			b.mu.Unlock()
			if err := rx.SetName(1+k/len(rxs)%rx.Channels(), fmt.Sprintf("LAT%05d", k%100000)); err == nil {
				probes++
			}
		}
	}()
	select {
	case <-time.After(o.duration):
	case <-ctx.Done():
		return result{}, ctx.Err()
	}
	r := result{streams: n, watches: watches}
	elapsed := time.Since(start)
	for i, srv := range srvs {
		cpu1, err := procCPU(srv.cmd.Process.Pid)
		if err != nil {
			return result{}, err
		}
		rss, err := procRSS(srv.cmd.Process.Pid)
		if err != nil {
			return result{}, err
		}
		r.ids = append(r.ids, srv.id)
		r.cpu = append(r.cpu, (cpu1-cpu0[i]).Seconds()/elapsed.Seconds()*100)
		r.rssMB = append(r.rssMB, float64(rss)/1e6)
	}
	bytes1 := b.bytes.Load()
	close(stopProbes)
	<-proberDone
	time.Sleep(time.Second) // the last probes arrive
	cancel()
	wg.Wait()

	off := 0
	for _, srv := range srvs {
		grid, err := getBody(ctx, srv.base+"/board/grid")
		if err != nil {
			return result{}, err
		}
		off = max(off, strings.Count(grid, `data-status="RX_OFFLINE"`))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r.offline = max(off, len(b.offline))
	r.lat, r.xlat, r.probes = b.lat, b.xlat, probes
	if all > 0 {
		r.perStream = float64(bytes1-bytes0) / elapsed.Seconds() / float64(all)
	}
	return r, nil
}

// leaseOwners maps each receiver's port to the instance holding its lease.
func leaseOwners(ctx context.Context, dbURL string, srvs []*server) (map[int]int, error) {
	bdb, err := db.Open(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	defer bdb.Close()
	st := store.New(bdb)
	leases, err := st.Leases.Owners(ctx)
	if err != nil {
		return nil, err
	}
	rxs, err := st.Receivers.Query().Active().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list receivers: %w", err)
	}
	index := map[string]int{}
	for i, s := range srvs {
		index[s.id] = i
	}
	out := map[int]int{}
	for _, rx := range rxs {
		if i, ok := index[leases[rx.ID]]; ok {
			out[rx.Port] = i
		}
	}
	return out, nil
}

// clockTick is USER_HZ, the unit of /proc/PID/stat's CPU times on Linux.
const clockTick = 100

// procCPU reads the user and system time a process has used.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read cpu of %d: %w", pid, err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("read cpu of %d: short stat line", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("read cpu of %d: bad stat line", pid)
	}
	return time.Duration(utime+stime) * time.Second / clockTick, nil
}

// procRSS reads a process's resident memory in bytes.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("read memory of %d: %w", pid, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("read memory of %d: no VmRSS", pid)
}
