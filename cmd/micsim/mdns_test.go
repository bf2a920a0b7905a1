package main

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"micboard/app/device/mdns"
	"micboard/app/device/sim"
)

// micsim --mdns answers DNS-SD browses for the SSC receivers it runs, at
// the ports it lists for them.
func TestRunAnswersMDNS(t *testing.T) {
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mdnsAddr := u.LocalAddr().String()
	u.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--receivers", "3", "--models", "ewdx4,ulxd4q,em6000", "--base-port", "0",
			"--scenario", "steady", "--mdns", mdnsAddr, "--log-level", "warn"}, &out, &errOut)
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
	got, err := mdns.Browse(ctx, mdns.BrowseOptions{Service: sim.SSCService, Addr: mdnsAddr, Window: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ports := map[int]bool{}
	for _, in := range got {
		ports[in.Port] = true
	}
	for _, l := range lines {
		f := strings.Fields(l)
		_, portText, _ := net.SplitHostPort(f[2])
		port, _ := strconv.Atoi(portText)
		if want := f[0] == "sennheiser"; ports[port] != want {
			t.Errorf("%s published: %v, want %v (browse found %+v)", l, ports[port], want, got)
		}
	}
	if len(got) != 2 {
		t.Errorf("browse found %d instances, want 2", len(got))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
