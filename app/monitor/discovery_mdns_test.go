package monitor_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device/mdns"
	"micboard/app/device/sim"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/service"
	"micboard/app/store"
)

// startOn starts one simulator on host at a free port.
func startOn(t *testing.T, code, host string, index int) *sim.Receiver {
	t.Helper()
	var lastErr error
	for range 10 {
		rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: code, Host: host, Port: freePort(t, host), Seed: 11, Index: index, Logger: discoLog})
		if err == nil {
			t.Cleanup(func() { rx.Stop() })
			return rx
		}
		lastErr = err
	}
	t.Fatalf("start %s on %s: %v", code, host, lastErr)
	return nil
}

// An mdns task browses _ssc._udp, finds each simulated SSC receiver through
// the simulator's responder over a real UDP socket, asks it what it is at
// the port its SRV record gives, and files it for approval as a Sennheiser
// receiver with its address, port and model. A Shure receiver publishes
// nothing and is not found. Running the task again files nothing twice.
func TestDiscoverMDNS(t *testing.T) {
	ctx := context.Background()
	rxs := []*sim.Receiver{
		startOn(t, "ewdx2", "127.0.0.41", 0),
		startOn(t, "em6000", "127.0.0.42", 1),
		startOn(t, "ewdx4", "127.0.0.43", 2),
		startOn(t, "ulxd4q", "127.0.0.44", 3),
	}
	resp, err := sim.ServeMDNS("127.0.0.1:0", rxs, discoLog)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()

	st := store.New(dbtest.New(t))
	task := newTask(t, st, service.TaskInput{Kind: model.DiscoveryMDNS, Vendor: model.VendorSennheiser})
	opts := discoOpts(0)
	opts.MDNSAddr, opts.MDNSListen = resp.Addr(), time.Second
	d := monitor.NewDiscoverer(st, opts)
	if err := d.RunTask(ctx, task.ID); err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	got := reloadTask(t, st, task.ID)
	if got.Status != model.TaskSuccess || got.Scanned != 3 || got.Found != 3 {
		t.Errorf("task: status %s scanned %d found %d error %q (want 3 instances, 3 found)", got.Status, got.Scanned, got.Found, got.LastError)
	}
	found := discoveredByHost(t, st)
	if len(found) != 3 {
		t.Fatalf("discovered %d devices, want 3: %v", len(found), found)
	}
	senn, err := st.Manufacturers.ByCode(ctx, model.VendorSennheiser)
	if err != nil {
		t.Fatal(err)
	}
	for _, rx := range rxs[:3] {
		ep := rx.Endpoint()
		f := found[ep.Host]
		checkFound(t, f, ep)
		if f.ManufacturerID != senn.ID || f.State != model.DiscoveredNew || f.TaskID == nil || *f.TaskID != task.ID {
			t.Errorf("%s filed as manufacturer %d state %s task %v", ep.Host, f.ManufacturerID, f.State, f.TaskID)
		}
	}
	if f := found["127.0.0.44"]; f != nil {
		t.Errorf("a Shure receiver was found over mDNS: %+v", f)
	}

	// Approved, the receiver is watched at the port mDNS gave.
	ep := rxs[1].Endpoint()
	rx, err := monitor.ApproveDiscovered(ctx, st, found[ep.Host].ID)
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	if rx.Port != ep.Port || rx.DeviceType != model.TypeEM6000 || len(rx.Channels) != ep.Channels {
		t.Errorf("approved as %s:%d %s with %d channels, simulator is port %d with %d", rx.Host, rx.Port, rx.DeviceType, len(rx.Channels), ep.Port, ep.Channels)
	}
	// Found again: one row per address, and the approved one stays so.
	if err := d.RunTask(ctx, task.ID); err != nil {
		t.Fatalf("second RunTask: %v", err)
	}
	again := discoveredByHost(t, st)
	if len(again) != 3 || again[ep.Host].State != model.DiscoveredApproved {
		t.Errorf("after a second run: %d rows, approved one is %s", len(again), again[ep.Host].State)
	}
}

// junkResponder answers every query first with junk and a cut answer, then
// as a responder publishing instances does.
func junkResponder(t *testing.T, instances []mdns.Instance) string {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { conn.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, mdns.MaxMessage)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			answers, _ := mdns.Answer(buf[:n], instances)
			_, _ = conn.WriteToUDP([]byte{0x00, 0x00, 0x84, 0x00, 0xff, 0xff}, from)
			for _, a := range answers {
				_, _ = conn.WriteToUDP(a[:len(a)/2], from)
				_, _ = conn.WriteToUDP(a, from)
			}
		}
	}()
	return conn.LocalAddr().String()
}

// An instance that does not answer is filed with what it published when
// that names a model Micboard lists (a TXT product), and skipped when it
// does not; malformed answers are skipped and the run still succeeds.
func TestDiscoverMDNSSilentAndMalformed(t *testing.T) {
	rx := startOn(t, "ewdx4", "127.0.0.48", 0)
	in, ok := rx.MDNSInstance()
	if !ok {
		t.Fatal("an EW-DX publishes no instance")
	}
	deadA, deadB := freePort(t, "127.0.0.46"), freePort(t, "127.0.0.47")
	addr := junkResponder(t, []mdns.Instance{
		in,
		{Name: "Rack 6", Service: sim.SSCService, Target: "EM6000-6.local.", Port: deadA, Addrs: mdns.AddrOf("127.0.0.46"),
			TXT: map[string]string{"txtvers": "1", "product": "EM6000-Dante"}},
		{Name: "Mystery Box", Service: sim.SSCService, Target: "box.local.", Port: deadB, Addrs: mdns.AddrOf("127.0.0.47")},
	})
	st := store.New(dbtest.New(t))
	task := newTask(t, st, service.TaskInput{Kind: model.DiscoveryMDNS})
	opts := discoOpts(0)
	opts.MDNSAddr, opts.MDNSListen, opts.IdentifyTimeout = addr, time.Second, time.Second
	if err := monitor.NewDiscoverer(st, opts).RunTask(context.Background(), task.ID); err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	got := reloadTask(t, st, task.ID)
	if got.Status != model.TaskSuccess || got.Scanned != 3 || got.Found != 2 {
		t.Errorf("task: status %s scanned %d found %d error %q (want 3 instances, 2 found)", got.Status, got.Scanned, got.Found, got.LastError)
	}
	found := discoveredByHost(t, st)
	checkFound(t, found["127.0.0.48"], rx.Endpoint())
	if f := found["127.0.0.46"]; f == nil || f.Model != "EM 6000 Dante" || f.Channels != 2 || f.Port != deadA || f.Name != "Rack 6" {
		t.Errorf("silent instance with a product filed as %+v", f)
	}
	if f := found["127.0.0.47"]; f != nil {
		t.Errorf("silent instance without a model filed: %+v", f)
	}
}

// A task naming a vendor whose devices publish nothing over DNS-SD fails
// with a reason instead of browsing.
func TestDiscoverMDNSVendorWithoutService(t *testing.T) {
	st := store.New(dbtest.New(t))
	task := newTask(t, st, service.TaskInput{Kind: model.DiscoveryMDNS, Vendor: model.VendorShure})
	err := monitor.NewDiscoverer(st, discoOpts(0)).RunTask(context.Background(), task.ID)
	if err == nil || !strings.Contains(err.Error(), "publish no DNS-SD service") {
		t.Fatalf("RunTask = %v", err)
	}
	if got := reloadTask(t, st, task.ID); got.Status != model.TaskFailed || !strings.Contains(got.LastError, "shure devices publish no DNS-SD service") {
		t.Errorf("task: status %s error %q", got.Status, got.LastError)
	}
}
