package monitor_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/live"
	"micboard/app/monitor"
	"micboard/app/store"
)

// syncBuffer is a log sink several goroutines write to.
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

// Each log line names a receiver's address once, whether the supervisor or
// the driver wrote it.
func TestLogLinesNameTheAddressOnce(t *testing.T) {
	ctx := context.Background()
	st := store.New(dbtest.New(t))
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "ulxd4q", Seed: 7, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Stop() })
	ep := rx.Endpoint()
	if _, err := monitor.Register(ctx, st, ep.Vendor, ep.Host, ep.Port, nil); err != nil {
		t.Fatal(err)
	}
	board := live.NewBoard(live.Options{})
	if err := board.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mgr := monitor.New(st, board, monitor.Options{
		MeterRate: meterRate, PollEvery: 200 * time.Millisecond, HeartbeatEvery: time.Second,
		BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second, Logger: log,
	})
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { mgr.Run(mctx); close(done) }()
	defer func() { cancel(); <-done }()

	// Online (driver lines), then a dropped link (supervisor lines).
	eventually(t, 10*time.Second, "driver and supervisor lines", func() error {
		if strings.Contains(buf.String(), `"msg":"receiver online"`) {
			rx.Drop(0)
		}
		if strings.Contains(buf.String(), `"msg":"receiver link lost"`) {
			return nil
		}
		return errNotYet
	})
	lines := 0
	for _, line := range strings.Split(buf.String(), "\n") {
		if n := strings.Count(line, `"addr":`); n > 1 {
			t.Errorf("addr %d times: %s", n, line)
		} else if n == 1 {
			lines++
		}
	}
	if lines < 2 {
		t.Fatalf("only %d lines name an address:\n%s", lines, buf.String())
	}
}

var errNotYet = errorString("not yet")

type errorString string

func (e errorString) Error() string { return string(e) }
