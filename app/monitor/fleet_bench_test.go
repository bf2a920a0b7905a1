package monitor_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/live"
	"micboard/app/monitor"
	"micboard/app/service"
	"micboard/app/store"
)

// The show of the devices issue: 250 four-channel receivers, 1,000 channels,
// metering once a second.
const (
	fleetReceivers = 250
	fleetChannels  = fleetReceivers * 4
	fleetMeterRate = time.Second
)

// fleetWindow is how long the watched fleet is measured; the issue asks for
// 60 s; MICBOARD_BENCH_WINDOW overrides it (10s for a quick look).
func fleetWindow(b *testing.B) time.Duration {
	v := os.Getenv("MICBOARD_BENCH_WINDOW")
	if v == "" {
		return 60 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		b.Fatalf("MICBOARD_BENCH_WINDOW=%q: want a positive duration such as 10s", v)
	}
	return d
}

// fleetMetrics is what one measured window found.
type fleetMetrics struct {
	cpuPct, rssMB, hwmMB, heapMB, readingsPerSec float64
}

func (m fleetMetrics) report(b *testing.B) {
	// One window is a report, not a timing loop: ns/op would only repeat
	// the window length, so it is suppressed.
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(m.cpuPct, "cpu%_of_one_core")
	b.ReportMetric(m.rssMB, "rss_MB")
	b.ReportMetric(m.hwmMB, "hwm_MB")
	b.ReportMetric(m.heapMB, "heap_MB")
	b.ReportMetric(m.readingsPerSec, "readings/s")
}

// fleetLast keeps the last window's figures. The framework calls a
// benchmark again with a larger b.N when the first run (always b.N == 1) was
// shorter than -benchtime; those calls repeat the figures instead of watching
// the fleet again. -count still measures a fresh window each time, since
// every count starts over at b.N == 1.
var fleetLast *fleetMetrics

// BenchmarkFleet1000Channels watches 250 simulated 4-channel receivers
// (ULX-D and Axient Digital, scenario steady) with the production wiring of
// `micboard serve` minus the web server: board + Persister + monitor at 1 s
// metering. It reports what this process spent during the window:
//
//   - cpu%_of_one_core: user+system CPU time (getrusage RUSAGE_SELF) over
//     wall time. The simulator runs in its own process so its CPU is not
//     counted. This process does include the PostgreSQL client work
//     (heartbeats, persisted meters, receiver polls) but not PostgreSQL's own
//     CPU, which is spent in the server's processes.
//   - rss_MB / hwm_MB: VmRSS at the end of the window and VmHWM (the peak
//     since start, which includes registering the fleet); MB here is MiB.
//   - heap_MB: the Go heap in use at the end of the window.
//   - readings/s: channel updates a board subscriber took, as the SSE stream
//     would (the hub coalesces, so this is at most the readings applied).
//
// Targets from the issue: under 10 % of one core and 150 MB resident.
func BenchmarkFleet1000Channels(b *testing.B) {
	if b.N > 1 && fleetLast != nil {
		fleetLast.report(b)
		return
	}
	window := fleetWindow(b)
	eps := startMicsim(b)

	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := store.New(dbtest.New(b))
	// Registered straight from the simulator's list instead of asking each
	// receiver (monitor.Register): it is faster and the monitor refreshes the
	// facts from the devices anyway, as it does in a show.
	devs := service.NewDevices(st)
	for _, ep := range eps {
		rep := service.DeviceReport{Vendor: ep.Vendor, Host: ep.Host, Port: ep.Port, Model: ep.Model, Name: ep.Name, Serial: ep.Serial}
		for n := 1; n <= ep.Channels; n++ {
			rep.Channels = append(rep.Channels, service.ChannelReport{Number: n})
		}
		if _, _, err := devs.UpsertFromReport(ctx, rep); err != nil {
			b.Fatalf("register %s: %v", ep.Addr(), err)
		}
	}

	board := live.NewBoard(live.Options{})
	if err := board.Load(ctx, st); err != nil {
		b.Fatal(err)
	}
	// One subscriber stands in for a browser's SSE stream.
	var taken atomic.Int64
	sub := board.Subscribe()
	defer sub.Close()
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	mgr := monitor.New(st, board, monitor.Options{MeterRate: fleetMeterRate, Logger: logger})
	persister := &live.Persister{Board: board, Store: st, Logger: logger}
	for _, run := range []func(context.Context){
		func(ctx context.Context) { _ = mgr.Run(ctx) },
		persister.Run,
		board.Run,
		func(ctx context.Context) {
			for {
				select {
				case <-ctx.Done():
					return
				case <-sub.Ready():
					taken.Add(int64(len(sub.Take())))
				}
			}
		},
	} {
		wg.Add(1)
		go func() { defer wg.Done(); run(runCtx) }()
	}

	waitOnline(b, board)
	// Once online, every supervisor registers what its receiver said about
	// itself and reloads its tiles; let that one-off burst pass so the window
	// sees the steady state of a running show.
	time.Sleep(5 * time.Second)

	var ru0, ru1 syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru0); err != nil {
		b.Fatal(err)
	}
	taken0, t0 := taken.Load(), time.Now()
	b.ResetTimer()
	time.Sleep(window)
	b.StopTimer()
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru1); err != nil {
		b.Fatal(err)
	}
	wall := time.Since(t0)
	taken1 := taken.Load()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, hwm := procStatusMB(b, "VmRSS"), procStatusMB(b, "VmHWM")

	cpu := cpuTime(ru1) - cpuTime(ru0)
	m := fleetMetrics{
		cpuPct:         100 * cpu.Seconds() / wall.Seconds(),
		rssMB:          rss,
		hwmMB:          hwm,
		heapMB:         float64(ms.HeapInuse) / (1 << 20),
		readingsPerSec: float64(taken1-taken0) / wall.Seconds(),
	}
	if online := countOnline(board); online != fleetChannels {
		// A fleet that dropped channels during the window measured less
		// work than the issue asks about.
		b.Fatalf("only %d of %d channels online at the end of the window", online, fleetChannels)
	}
	fleetLast = &m
	m.report(b)
}

// startMicsim builds cmd/micsim and runs the fleet in its own process, then
// returns the endpoints it wrote. It skips when micsim cannot be built.
func startMicsim(b *testing.B) []sim.Endpoint {
	b.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		b.Skipf("no go command to build micsim: %v", err)
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "micsim")
	if out, err := exec.Command(goBin, "build", "-o", bin, "micboard/cmd/micsim").CombinedOutput(); err != nil {
		b.Skipf("cannot build micsim: %v\n%s", err, out)
	}
	jsonPath, logPath := filepath.Join(dir, "fleet.json"), filepath.Join(dir, "micsim.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--receivers", strconv.Itoa(fleetReceivers), "--models", "ulxd4q,ad4q",
		"--base-port", "0", "--scenario", sim.ScenarioSteady, "--seed", "1", "--json", jsonPath, "--log-level", "warn")
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		b.Fatalf("start micsim: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	// micsim writes the JSON once every receiver listens; poll until it is
	// complete (it may be caught half-written).
	deadline := time.Now().Add(60 * time.Second)
	for {
		var eps []sim.Endpoint
		data, err := os.ReadFile(jsonPath)
		if err == nil && json.Unmarshal(data, &eps) == nil && len(eps) == fleetReceivers {
			return eps
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			b.Fatalf("micsim exited: %s\n%s", cmd.ProcessState, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Fatalf("micsim did not list %d receivers within 60 s", fleetReceivers)
		}
	}
}

// waitOnline waits until every channel of the fleet is online on the board.
func waitOnline(b *testing.B, board *live.Board) {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n := countOnline(board)
		if n == fleetChannels {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d channels online after 2 minutes", n, fleetChannels)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func countOnline(board *live.Board) int {
	n := 0
	for _, t := range board.Tiles() {
		if t.Online {
			n++
		}
	}
	return n
}

func cpuTime(ru syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatusMB reads a memory line of /proc/self/status (in KiB) as MiB.
func procStatusMB(b *testing.B, key string) float64 {
	b.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatalf("read memory use: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != key {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
		if err != nil {
			b.Fatalf("parse %s %q: %v", key, rest, err)
		}
		return kb / 1024
	}
	b.Fatal(errors.Join(sc.Err(), fmt.Errorf("no %s in /proc/self/status", key)))
	return 0
}
