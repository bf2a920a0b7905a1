package shure

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"micboard/app/device"
)

// TestClientDropsALinkThatSendsJunk: a receiver that sends a 1 MB line with
// no '>' and then megabytes of random bytes, with real samples still mixed
// in (so the link never goes silent), is dropped as dead well before the
// junk ends, so the supervisor dials a fresh session.
func TestClientDropsALinkThatSendsJunk(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sent := make(chan int, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		total := 0
		write := func(p []byte) bool {
			_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			n, err := conn.Write(p)
			total += n
			return err == nil
		}
		defer func() { sent <- total }()
		sample := []byte("< REP 1 CHAN_NAME {HH01 Fatai} >< SAMPLE 1 ALL XB 035 098 >")
		if !write(sample) || !write(append([]byte("< REP 1 CHAN_NAME {"), bytes.Repeat([]byte("x"), 1<<20)...)) {
			return
		}
		rng := rand.New(rand.NewPCG(1, 2))
		junk := make([]byte, 64<<10)
		for written := 0; written < 10<<20; written += len(junk) {
			for i := range junk {
				junk[i] = byte(rng.UintN(256))
			}
			if !write(junk) || !write(sample) {
				return
			}
		}
	}()

	c, err := New(device.Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, DisableMeters: true,
		LinkTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readings := 0
	err = c.Run(ctx, func(device.Reading) { readings++ })
	if !errors.Is(err, device.ErrLinkDead) || !strings.Contains(err.Error(), "unreadable bytes") {
		t.Fatalf("Run = %v, want a dead link for unreadable data", err)
	}
	c.Close()
	if n := <-sent; n >= 11<<20 {
		t.Errorf("the client read all %d bytes of junk before giving up", n)
	}
	if readings == 0 {
		t.Error("the real messages before and between the junk were lost")
	}
}
