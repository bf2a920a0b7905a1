package sim

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"
)

func TestSendFlood(t *testing.T) {
	r, err := StartReceiver(ReceiverConfig{Model: "ulxd4q", Seed: 1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	conn, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for deadline := time.Now().Add(5 * time.Second); r.Clients() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the receiver did not register the client")
		}
	}
	floods, err := r.SendFlood(100<<10, 200<<10)
	if err != nil || len(floods) != 1 {
		t.Fatalf("SendFlood = %d floods, %v", len(floods), err)
	}
	got := make([]byte, 0, 300<<10)
	buf := make([]byte, 32<<10)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(got) < 300<<10 {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("read after %d bytes: %v", len(got), err)
		}
	}
	<-floods[0].Done()
	if floods[0].Cut() || floods[0].Queued() != 300<<10 {
		t.Fatalf("flood: cut %v, queued %d", floods[0].Cut(), floods[0].Queued())
	}
	// The unterminated line: '<' then 100 KiB with no '>'.
	start := bytes.Index(got, []byte("<x"))
	if start < 0 || bytes.IndexByte(got[start:start+100<<10], '>') >= 0 {
		t.Fatalf("no unterminated line in what the client read")
	}

	// A flood to a client that hangs up ends cut short.
	floods, _ = r.SendFlood(0, 100<<20)
	conn.Close()
	select {
	case <-floods[0].Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the flood outlived its connection")
	}
	if !floods[0].Cut() || floods[0].Queued() >= 100<<20 {
		t.Fatalf("flood after hang-up: cut %v, queued %d", floods[0].Cut(), floods[0].Queued())
	}

	ssc, err := StartReceiver(ReceiverConfig{Model: "ewdx2", Seed: 1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer ssc.Stop()
	if _, err := ssc.SendFlood(1, 1); !errors.Is(err, ErrFloodUnsupported) {
		t.Fatalf("SSC flood: %v", err)
	}
}
