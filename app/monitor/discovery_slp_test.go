package monitor_test

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device/shure"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/service"
	"micboard/app/store"
)

// Device class ids from the table in app/device/shure/slp.go.
const (
	dcidULXD4Q = "CCD3F5A4-E139-11DF-95EF-0015C5F3F612"
	dcidAD4D   = "CD282D40-E139-11DF-8481-0015C5F3F612"
	dcidAD4Q   = "CD28E12C-E139-11DF-8153-0015C5F3F612"
)

// until stop closes: a datagram sent before the Discoverer listens is lost.
func announce(t *testing.T, from, dst string, datagram []byte, stop <-chan struct{}) {
	t.Helper()
	conn, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(from)}, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(dst)))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer conn.Close()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			_, _ = conn.Write(datagram)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
}

func TestDiscoverSLP(t *testing.T) {
	// A real receiver answers at 127.0.0.6; 127.0.0.7 announces a known
	// class but answers nothing; 127.0.0.8 announces an unknown class and
	// answers nothing; 127.0.0.9 sends garbage.
	port, rxs := startSims(t, simSpec{"ulxd4q", "127.0.0.6"})
	listen := net.JoinHostPort("127.0.0.10", strconv.Itoa(freePort(t, "127.0.0.10")))

	stop := make(chan struct{})
	announce(t, "127.0.0.6", listen, shure.EncodeSLPSrvReg("service:shure.wireless://127.0.0.6", "(cd:"+dcidULXD4Q+")"), stop)
	announce(t, "127.0.0.7", listen, shure.EncodeSLPSAAdvert("service:shure.wireless://127.0.0.7", "(cd:"+dcidAD4D+")"), stop)
	announce(t, "127.0.0.8", listen, shure.EncodeSLPSrvReg("service:x://127.0.0.8", "(cd:FFFF-UNKNOWN)"), stop)
	announce(t, "127.0.0.9", listen, []byte{2, 3, 0xff, 0, 1, 2, 3}, stop)
	defer close(stop)

	st := store.New(dbtest.New(t))
	task := newTask(t, st, service.TaskInput{Kind: model.DiscoverySLP})
	opts := discoOpts(port)
	opts.SLPAddr = listen
	start := time.Now()
	if err := monitor.NewDiscoverer(st, opts).RunTask(context.Background(), task.ID); err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("slp run took %s with a 1 s listen", took)
	}

	got := reloadTask(t, st, task.ID)
	if got.Status != model.TaskSuccess || got.Scanned != 4 || got.Found != 2 {
		t.Errorf("task: status %s scanned %d found %d error %q (want 4 senders, 2 found)", got.Status, got.Scanned, got.Found, got.LastError)
	}
	found := discoveredByHost(t, st)
	if len(found) != 2 {
		t.Fatalf("discovered %d devices, want 2: %v", len(found), found)
	}
	// The receiver that answers is filed with its own answers.
	checkFound(t, found["127.0.0.6"], rxs[0].Endpoint())
	// The silent one is filed with what its announcement said.
	if d := found["127.0.0.7"]; d == nil || d.Model != "AD4D" || d.Channels != 2 || d.Port != port {
		t.Errorf("silent announcer filed as %+v", d)
	}
}
