package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"micboard/app/config"
	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/monitor"
	"micboard/app/server"
	"micboard/app/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// soak reports whether the long forms of the fault tests should run
// (make soak).
func soak() bool { return os.Getenv("MICBOARD_SOAK") == "1" }

// Device reads never wait for the web: a fleet metering ten times a second
// stays online while a crowd of browsers watches, some of which never read
// what they are sent (their sockets fill up and their writes block).
func TestBrowsersNeverDelayDeviceReads(t *testing.T) {
	receivers, readers, stalled, watch := 30, 120, 40, 12*time.Second
	if soak() {
		receivers, readers, stalled, watch = 100, 500, 200, 2*time.Minute
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bdb := dbtest.New(t)
	st := store.New(bdb)

	fleet, err := sim.StartFleet(sim.FleetConfig{Receivers: receivers, Models: []string{"ulxd4q", "ad4q"}, Host: "127.0.0.1", Scenario: sim.ScenarioSteady, Seed: 3, MeterJitter: 6, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Stop() })
	for _, ep := range fleet.Endpoints() {
		if _, err := monitor.Register(ctx, st, ep.Vendor, ep.Host, ep.Port, nil); err != nil {
			t.Fatalf("register %s: %v", ep.Addr(), err)
		}
	}

	cfg, err := config.Parse(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.MeterRate = 100 * time.Millisecond
	cfg.PublicBoard = true
	srv, err := server.New(ctx, server.Options{Config: cfg, DB: bdb, Logger: quiet, Version: "test"})
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
	base := "http://" + ln.Addr().String()

	// Wait for the whole fleet to be online before the crowd arrives.
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

	// Browsers that never read: a tiny receive window, and nobody reading.
	for i := 0; i < stalled; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET /board/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
	}
	// Browsers that read: count the meter batches each receives.
	var got atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: readers}}
	for i := 0; i < readers; i++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/board/events", nil)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			t.Fatalf("stream %d: %s", i, res.Status)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "event: meters") {
					got.Add(1)
				}
			}
		}()
	}
	t.Cleanup(wg.Wait)

	// Watch: no receiver may be declared offline meanwhile.
	deadline := time.Now().Add(watch)
	for time.Now().Before(deadline) {
		for _, tl := range srv.Board.Tiles() {
			if !tl.Online {
				t.Fatalf("receiver %d declared offline while browsers watched", tl.ReceiverID)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	perStream := float64(got.Load()) / float64(readers) / watch.Seconds()
	t.Logf("%d receivers at 100 ms, %d reading and %d stalled streams, %s: none offline, %.1f meter batches/s per reading stream",
		receivers, readers, stalled, watch, perStream)
	if perStream < 3 {
		t.Fatalf("reading streams got %.1f meter batches/s; want about 4", perStream)
	}
}

// waitFor polls cond until it holds or within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() error) {
	t.Helper()
	start := time.Now()
	var last error
	for time.Since(start) < within {
		if last = cond(); last == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, within, last)
}
