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

// The Sennheiser families run under their own codes and play the show
// scenario: an EM 6000 answers its /mm meters, an ew G4 pushes its lines.
func TestRunPlaysSennheiserFamilies(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--receivers", "3", "--models", "em6000,ewg4,em6000dante", "--base-port", "0",
			"--scenario", "show", "--log-level", "warn"}, &out, &errOut)
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
	for i, want := range []string{"sennheiser em6000 ", "sennheiser ewg4 ", "sennheiser em6000dante "} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d = %q, want %q...", i, lines[i], want)
		}
	}
	ask := func(addr, req, wantPrefix string) {
		t.Helper()
		conn, err := net.Dial("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 2048)
		n, err := conn.Read(buf)
		if err != nil || !strings.HasPrefix(string(buf[:n]), wantPrefix) {
			t.Errorf("%s answered %q, %v", addr, buf[:n], err)
		}
	}
	ask(strings.Fields(lines[0])[2], `{"mm":null}`, `{"mm":[[`)
	ask(strings.Fields(lines[1])[2], "Push 0 0 1\r", "Name ")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
