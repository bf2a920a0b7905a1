package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// The Shure families added from the references run under their own codes,
// and a UHF-R answers its `* ... *` strings over UDP.
func TestRunPlaysShureFamilies(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--receivers", "4", "--models", "slxd4qplus,ur4d,p10t,ur4s", "--base-port", "0",
			"--scenario", "show", "--log-level", "warn"}, &out, &errOut)
	}()
	var lines []string
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines = strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) == 4 && lines[0] != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fleet listing; stdout %q stderr %q", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i, want := range []string{"shure slxd4qplus ", "shure ur4d ", "shure p10t ", "shure ur4s "} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d = %q, want %q...", i, lines[i], want)
		}
	}
	addr := strings.Fields(lines[1])[2]
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("* GET 2 TX_TYPE *")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "* REPORT 2 TX_TYPE ") {
		t.Fatalf("UHF-R answer %q, %v", buf[:n], err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
