package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"micboard/app/config"
	"micboard/app/db/dbtest"
	"micboard/app/web"
)

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func fetch(url string) (int, string, error) {
	res, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

// With MICBOARD_PPROF_LISTEN set, Serve answers /debug/pprof/ there (and
// only there) until its context ends.
func TestServeRunsTheProfilerOnItsOwnAddress(t *testing.T) {
	pprofAddr := freeAddr(t)
	cfg, err := config.Parse(func(k string) (string, bool) {
		if k == "MICBOARD_PPROF_LISTEN" {
			return pprofAddr, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := New(ctx, Options{Config: cfg, DB: dbtest.New(t), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := web.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()

	var status int
	var body string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if status, body, err = fetch("http://" + pprofAddr + "/debug/pprof/"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("profiler not answering: %v", err)
		}
	}
	if status != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Fatalf("profiler index: %d %.200s", status, body)
	}
	if status, _, err := fetch("http://" + pprofAddr + "/debug/pprof/goroutine?debug=1"); err != nil || status != http.StatusOK {
		t.Fatalf("goroutine profile: %d %v", status, err)
	}
	if status, _, err := fetch("http://" + ln.Addr().String() + "/debug/pprof/"); err != nil || status != http.StatusNotFound {
		t.Fatalf("the web server answers the profiler's path: %d %v", status, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, _, err := fetch("http://" + pprofAddr + "/debug/pprof/"); err == nil {
		t.Fatal("the profiler still answers after Serve returned")
	}
}

// Without it, nothing listens for the profiler.
func TestProfilerOffByDefault(t *testing.T) {
	cfg, err := config.Parse(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PprofListen != "" {
		t.Fatalf("profiler on by default at %q", cfg.PprofListen)
	}
}
