package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"micboard/app/device/sim"
)

// syncBuffer lets the test read what run writes from another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesAndStops(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "fleet.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{
			"--receivers", "3", "--models", "ulxd4q, ewdx2,ad4d", "--base-port", "0",
			"--scenario", "steady", "--seed", "1", "--json", jsonPath, "--log-level", "warn",
		}, &out, &errOut)
	}()

	var lines []string
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines = strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) == 3 && lines[0] != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fleet listing; stdout %q stderr %q", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	wantVendor := []string{"shure ulxd4q ", "sennheiser ewdx2 ", "shure ad4d "}
	for i, l := range lines {
		if !strings.HasPrefix(l, wantVendor[i]) || len(strings.Fields(l)) < 4 {
			t.Errorf("line %d = %q", i, l)
		}
	}

	// The JSON file is written right after the listing.
	var eps []sim.Endpoint
	for {
		data, err := os.ReadFile(jsonPath)
		if err == nil && json.Unmarshal(data, &eps) == nil && len(eps) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fleet JSON not written: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	addr := strings.Fields(lines[0])[2]
	if addr != eps[0].Addr() {
		t.Fatalf("listing says %s, JSON says %s", addr, eps[0].Addr())
	}
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// ULX-D stays silent to GET MODEL, as the references say; FW_VER it
	// answers, padded to 18.
	if _, err := conn.Write([]byte("< GET MODEL >< GET FW_VER >")); err != nil {
		t.Fatal(err)
	}
	want := "< REP FW_VER {2.7.6.0           } >"
	buf := make([]byte, len(want))
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Read(buf); err != nil || string(buf) != want {
		t.Fatalf("got %q, %v", buf, err)
	}
	conn.Close()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("still listening after shutdown")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := [][]string{
		{"--models", "ulxd9"},
		{"--scenario", "chaos", "--base-port", "0"},
		{"--log-level", "loud"},
		{"--models", ","},
		{"extra"},
	}
	for _, args := range tests {
		var out, errOut syncBuffer
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
