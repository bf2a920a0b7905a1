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

	"micboard/app/device/sim"
)

// result is one run's line.
type result struct {
	streams   int
	cpu       float64 // % of one core
	rssMB     float64
	perStream float64 // bytes/s
	lat       []time.Duration
	probes    int
	offline   int
}

func (r result) String() string {
	lat := "latency -"
	if len(r.lat) > 0 {
		lat = fmt.Sprintf("latency p50 %d ms p99 %d ms (%d of %d probes seen)",
			pct(r.lat, 50).Milliseconds(), pct(r.lat, 99).Milliseconds(), len(r.lat), r.probes*r.streams)
	}
	per := "-"
	if r.streams > 0 {
		per = fmt.Sprintf("%.1f KB/s", r.perStream/1000)
	}
	return fmt.Sprintf("streams %5d  cpu %5.1f %%  rss %4.0f MB  per stream %s  %s  offline %d",
		r.streams, r.cpu, r.rssMB, per, lat, r.offline)
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
	mu      sync.Mutex
	sent    map[int]time.Time
	lat     []time.Duration
	offline map[string]bool
	bytes   atomic.Int64
}

func (b *bench) seen(k int, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t, ok := b.sent[k]; ok {
		b.lat = append(b.lat, at.Sub(t))
	}
}

var tileID = regexp.MustCompile(`id="tile-(\d+)"`)

// watch reads one stream until ctx ends, counting bytes and noting probes
// and offline tiles.
func (b *bench) watch(ctx context.Context, client *http.Client, url string, ready chan<- error) {
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
					b.seen(k, now)
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

// measure opens n streams, lets them settle, then measures the server for
// the run's duration while a prober renames channels on the simulator.
func measure(ctx context.Context, o options, srv *server, fleet *sim.Fleet, n int) (result, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b := &bench{sent: map[int]time.Time{}, offline: map[string]bool{}}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n + 1, DisableCompression: true}}
	ready := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); b.watch(rctx, client, srv.base+"/board/events", ready) }()
		if i%100 == 99 {
			time.Sleep(50 * time.Millisecond) // browsers arrive, they do not all connect in one instant
		}
	}
	for i := 0; i < n; i++ {
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

	cpu0, err := procCPU(srv.cmd.Process.Pid)
	if err != nil {
		return result{}, err
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
			b.mu.Lock()
			b.sent[k] = time.Now()
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
	cpu1, err := procCPU(srv.cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	elapsed := time.Since(start)
	bytes1 := b.bytes.Load()
	rss, err := procRSS(srv.cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	close(stopProbes)
	<-proberDone
	time.Sleep(time.Second) // the last probes arrive
	cancel()
	wg.Wait()

	grid, err := getBody(ctx, srv.base+"/board/grid")
	if err != nil {
		return result{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	off := len(b.offline)
	if now := strings.Count(grid, `data-status="RX_OFFLINE"`); now > off {
		off = now
	}
	r := result{
		streams: n, cpu: (cpu1 - cpu0).Seconds() / elapsed.Seconds() * 100, rssMB: float64(rss) / 1e6,
		lat: b.lat, probes: probes, offline: off,
	}
	if n > 0 {
		r.perStream = float64(bytes1-bytes0) / elapsed.Seconds() / float64(n)
	}
	return r, nil
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
