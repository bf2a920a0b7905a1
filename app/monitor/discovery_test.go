package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/service"
	"micboard/app/store"
)

var discoLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// discoOpts are fast options for loopback tests.
func discoOpts(port int) monitor.DiscoveryOptions {
	return monitor.DiscoveryOptions{
		Port: port, ProbeTimeout: 300 * time.Millisecond, IdentifyTimeout: 2 * time.Second,
		SLPListen: time.Second, Logger: discoLog,
	}
}

type simSpec struct {
	code string
	host string
}

// startSims starts one simulator per spec, all on one port (a real scan
// probes one port per vendor). The port is picked free rather than 2202/45
// so that parallel test runs cannot collide; DiscoveryOptions.Port points
// the Discoverer at it.
func startSims(t *testing.T, specs ...simSpec) (int, []*sim.Receiver) {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 10; attempt++ {
		port := freePort(t, specs[0].host)
		var rxs []*sim.Receiver
		for i, s := range specs {
			rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: s.code, Host: s.host, Port: port, Seed: 11, Index: i, Logger: discoLog})
			if err != nil {
				lastErr = err
				break
			}
			rxs = append(rxs, rx)
		}
		if len(rxs) == len(specs) {
			t.Cleanup(func() {
				for _, rx := range rxs {
					rx.Stop()
				}
			})
			return port, rxs
		}
		for _, rx := range rxs {
			rx.Stop()
		}
	}
	t.Fatalf("start simulators: %v", lastErr)
	return 0, nil
}

// freePort returns a port that was free for TCP and UDP on host.
func freePort(t *testing.T, host string) int {
	t.Helper()
	for {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
}

func newTask(t *testing.T, st *store.Store, in service.TaskInput) *model.DiscoveryTask {
	t.Helper()
	if in.Name == "" {
		in.Name = fmt.Sprintf("%s %s", in.Kind, in.Target)
	}
	task, err := service.NewDiscovery(st).CreateTask(context.Background(), in)
	if err != nil {
		t.Fatalf("create task: %v", err)
	}
	return task
}

func discoveredByHost(t *testing.T, st *store.Store) map[string]*model.DiscoveredDevice {
	t.Helper()
	list, err := st.DiscoveredDevices.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*model.DiscoveredDevice{}
	for _, d := range list {
		out[d.Host] = d
	}
	return out
}

func reloadTask(t *testing.T, st *store.Store, id int64) *model.DiscoveryTask {
	t.Helper()
	task, err := st.DiscoveryTasks.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// checkFound compares a discovered row with what the simulator is.
func checkFound(t *testing.T, d *model.DiscoveredDevice, ep sim.Endpoint) {
	t.Helper()
	if d == nil {
		t.Fatalf("%s at %s not discovered", ep.Model, ep.Host)
	}
	// Axient Digital reports a regional suffix (AD4Q-A) on the wire, and
	// Digital 6000 its product without spaces (EM6000 for EM 6000).
	squash := strings.NewReplacer(" ", "", "-", "")
	if !strings.HasPrefix(squash.Replace(d.Model), squash.Replace(ep.Model)) || d.Name != ep.Name || d.Channels != ep.Channels || d.Port != ep.Port {
		t.Errorf("discovered %s:%d %q %q ch=%d, simulator is %s:%d %q %q ch=%d",
			d.Host, d.Port, d.Model, d.Name, d.Channels, ep.Host, ep.Port, ep.Model, ep.Name, ep.Channels)
	}
}

func TestDiscoverManual(t *testing.T) {
	// Shure and SSC simulators may share a host and port: TCP and UDP.
	port, rxs := startSims(t, simSpec{"ulxd4q", "127.0.0.1"}, simSpec{"ad4d", "127.0.0.5"}, simSpec{"ewdx4", "127.0.0.1"})
	dead := freePort(t, "127.0.0.1")
	ctx := context.Background()

	tests := []struct {
		name    string
		vendor  string
		target  string
		want    *sim.Receiver // nil: the run must fail
		wantErr string
	}{
		{"shure ULX-D", model.VendorShure, rxs[0].Addr(), rxs[0], ""},
		{"shure Axient (port from options)", model.VendorShure, "127.0.0.5", rxs[1], ""},
		{"sennheiser EW-DX", model.VendorSennheiser, rxs[2].Addr(), rxs[2], ""},
		{"shure dead port", model.VendorShure, net.JoinHostPort("127.0.0.1", strconv.Itoa(dead)), nil,
			"no shure receiver answered at 127.0.0.1:" + strconv.Itoa(dead)},
		{"sennheiser dead port", model.VendorSennheiser, net.JoinHostPort("127.0.0.1", strconv.Itoa(dead)), nil,
			"no sennheiser receiver answered at 127.0.0.1:" + strconv.Itoa(dead)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := store.New(dbtest.New(t))
			task := newTask(t, st, service.TaskInput{Kind: model.DiscoveryManual, Target: tc.target, Vendor: tc.vendor})
			d := monitor.NewDiscoverer(st, discoOpts(port))
			start := time.Now()
			err := d.RunTask(ctx, task.ID)
			took := time.Since(start)
			got := reloadTask(t, st, task.ID)
			found := discoveredByHost(t, st)

			if tc.want == nil {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("RunTask error = %v, want one containing %q", err, tc.wantErr)
				}
				if got.Status != model.TaskFailed || !strings.Contains(got.LastError, tc.wantErr) || got.Found != 0 {
					t.Errorf("task after failed run: status %s, found %d, last error %q", got.Status, got.Found, got.LastError)
				}
				if len(found) != 0 {
					t.Errorf("a failed manual run recorded %d devices", len(found))
				}
				if took > 3*time.Second {
					t.Errorf("a dead device took %s to give up on", took)
				}
				return
			}
			if err != nil {
				t.Fatalf("RunTask: %v", err)
			}
			if got.Status != model.TaskSuccess || got.Scanned != 1 || got.Found != 1 || got.LastError != "" {
				t.Errorf("task after run: status %s scanned %d found %d error %q", got.Status, got.Scanned, got.Found, got.LastError)
			}
			ep := tc.want.Endpoint()
			checkFound(t, found[ep.Host], ep)
			if dd := found[ep.Host]; dd != nil && (dd.TaskID == nil || *dd.TaskID != task.ID || dd.State != model.DiscoveredNew) {
				t.Errorf("discovered row: task %v state %s", dd.TaskID, dd.State)
			}
		})
	}
}

func TestDiscoverCIDR(t *testing.T) {
	// 127.0.0.0/28 holds 14 host addresses; three of them are receivers.
	port, rxs := startSims(t,
		simSpec{"ulxd4d", "127.0.0.2"}, simSpec{"ad4q", "127.0.0.3"}, simSpec{"ewdx2", "127.0.0.4"})
	ctx := context.Background()

	tests := []struct {
		name      string
		vendor    string
		register  int   // index of a simulator registered before the scan, -1 none
		wantHosts []int // indexes into rxs
	}{
		{"any vendor", "", -1, []int{0, 1, 2}},
		{"shure only", model.VendorShure, -1, []int{0, 1}},
		{"sennheiser only", model.VendorSennheiser, -1, []int{2}},
		{"registered receiver is a duplicate", "", 1, []int{0, 1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := store.New(dbtest.New(t))
			var registered *model.Receiver
			if tc.register >= 0 {
				ep := rxs[tc.register].Endpoint()
				var err error
				if registered, err = monitor.Register(ctx, st, ep.Vendor, ep.Host, ep.Port, nil); err != nil {
					t.Fatal(err)
				}
			}
			task := newTask(t, st, service.TaskInput{Kind: model.DiscoveryCIDR, Target: "127.0.0.0/28", Vendor: tc.vendor})
			start := time.Now()
			if err := monitor.NewDiscoverer(st, discoOpts(port)).RunTask(ctx, task.ID); err != nil {
				t.Fatalf("RunTask: %v", err)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("scan of 14 loopback addresses took %s", took)
			}
			got := reloadTask(t, st, task.ID)
			if got.Status != model.TaskSuccess || got.Scanned != 14 || got.Found != len(tc.wantHosts) {
				t.Errorf("task: status %s scanned %d found %d (want 14, %d) error %q",
					got.Status, got.Scanned, got.Found, len(tc.wantHosts), got.LastError)
			}
			found := discoveredByHost(t, st)
			if len(found) != len(tc.wantHosts) {
				t.Errorf("discovered %d devices, want %d: %v", len(found), len(tc.wantHosts), found)
			}
			for _, i := range tc.wantHosts {
				ep := rxs[i].Endpoint()
				d := found[ep.Host]
				checkFound(t, d, ep)
				if d == nil {
					continue
				}
				wantState := model.DiscoveredNew
				if i == tc.register {
					wantState = model.DiscoveredDuplicate
					if d.ReceiverID == nil || *d.ReceiverID != registered.ID {
						t.Errorf("duplicate points at receiver %v, want %d", d.ReceiverID, registered.ID)
					}
				}
				if d.State != wantState {
					t.Errorf("%s: state %s, want %s", ep.Host, d.State, wantState)
				}
			}
		})
	}
}

func TestDiscoverCIDRStopsOnCancel(t *testing.T) {
	// One wildcard UDP socket swallows every probe to port p on loopback
	// without answering, so each Sennheiser probe waits its full timeout:
	// uncancelled, this scan would take about two minutes.
	p := freePort(t, "0.0.0.0")
	sink, err := net.ListenPacket("udp", net.JoinHostPort("0.0.0.0", strconv.Itoa(p)))
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()

	st := store.New(dbtest.New(t))
	task := newTask(t, st, service.TaskInput{Kind: model.DiscoveryCIDR, Target: "127.0.1.0/24", Vendor: model.VendorSennheiser})
	opts := discoOpts(p)
	opts.Workers, opts.ProbeTimeout = 2, 2*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = monitor.NewDiscoverer(st, opts).RunTask(ctx, task.ID)
	// Uncancelled, the scan takes about four minutes (254 addresses, two
	// workers, 2 s each); the bound is loose so a loaded machine passes.
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("cancelled scan returned after %s", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunTask = %v, want the context's error", err)
	}
	// The outcome is recorded although the run's context is gone, so the
	// task is not left "running" (Due never picks a running task).
	got := reloadTask(t, st, task.ID)
	if got.Status != model.TaskFailed || got.Scanned >= 254 || !strings.Contains(got.LastError, "stopped after") {
		t.Errorf("task: status %s scanned %d error %q", got.Status, got.Scanned, got.LastError)
	}
}

func TestDiscoverRunDue(t *testing.T) {
	port, rxs := startSims(t, simSpec{"qlxd4", "127.0.0.1"})
	st := store.New(dbtest.New(t))
	ctx := context.Background()
	no := false
	manual := newTask(t, st, service.TaskInput{Kind: model.DiscoveryManual, Target: rxs[0].Addr(), Vendor: model.VendorShure})
	mdns := newTask(t, st, service.TaskInput{Kind: model.DiscoveryMDNS})
	// Shure devices publish nothing over DNS-SD: this one fails.
	mdnsShure := newTask(t, st, service.TaskInput{Kind: model.DiscoveryMDNS, Vendor: model.VendorShure})
	off := newTask(t, st, service.TaskInput{Kind: model.DiscoveryManual, Target: rxs[0].Addr(), Vendor: model.VendorShure, Enabled: &no})

	now := time.Now()
	opts := discoOpts(port)
	opts.Now = func() time.Time { return now }
	// Nothing answers the mdns query here: that run finds nothing and
	// succeeds.
	opts.MDNSAddr, opts.MDNSListen = net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t, "127.0.0.1"))), 200*time.Millisecond
	d := monitor.NewDiscoverer(st, opts)

	// The enabled tasks have never run, so all are due; one fails.
	if err := d.RunDue(ctx); err == nil || !strings.Contains(err.Error(), "shure devices publish no DNS-SD service") {
		t.Fatalf("RunDue = %v, want the shure mdns task's failure", err)
	}
	m := reloadTask(t, st, manual.ID)
	if m.Status != model.TaskSuccess || m.Found != 1 || m.LastRunAt == nil {
		t.Errorf("manual task: status %s found %d", m.Status, m.Found)
	}
	if got := reloadTask(t, st, mdns.ID); got.Status != model.TaskSuccess || got.Found != 0 || got.LastRunAt == nil {
		t.Errorf("mdns task: status %s found %d error %q", got.Status, got.Found, got.LastError)
	}
	if got := reloadTask(t, st, mdnsShure.ID); got.Status != model.TaskFailed {
		t.Errorf("shure mdns task: status %s", got.Status)
	}
	if got := reloadTask(t, st, off.ID); got.Status != model.TaskPending || got.LastRunAt != nil {
		t.Errorf("disabled task ran: status %s", got.Status)
	}

	// Just ran: nothing is due until the interval (an hour) has passed.
	if err := d.RunDue(ctx); err != nil {
		t.Fatalf("RunDue with nothing due = %v", err)
	}
	if again := reloadTask(t, st, manual.ID); !again.LastRunAt.Equal(*m.LastRunAt) {
		t.Errorf("manual task ran again before its interval")
	}
	now = now.Add(2 * time.Hour)
	_ = d.RunDue(ctx)
	if again := reloadTask(t, st, manual.ID); !again.LastRunAt.After(*m.LastRunAt) {
		t.Errorf("manual task did not run once its interval had passed")
	}
}

func TestDiscoverRunLoop(t *testing.T) {
	port, rxs := startSims(t, simSpec{"ulxd4d", "127.0.0.1"})
	st := store.New(dbtest.New(t))
	task := newTask(t, st, service.TaskInput{Kind: model.DiscoveryManual, Target: rxs[0].Addr(), Vendor: model.VendorShure})
	opts := discoOpts(port)
	opts.Every = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { monitor.NewDiscoverer(st, opts).Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for reloadTask(t, st, task.ID).Status != model.TaskSuccess {
		if time.Now().After(deadline) {
			t.Fatal("Run did not run the due task")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
}

func TestApproveDiscovered(t *testing.T) {
	ctx := context.Background()
	port, rxs := startSims(t, simSpec{"ulxd4d", "127.0.0.1"}, simSpec{"ewdx2", "127.0.0.1"})

	// discover files the simulator through a manual task and returns its row.
	discover := func(t *testing.T, st *store.Store, rx *sim.Receiver) *model.DiscoveredDevice {
		t.Helper()
		ep := rx.Endpoint()
		task := newTask(t, st, service.TaskInput{Kind: model.DiscoveryManual, Target: ep.Addr(), Vendor: ep.Vendor})
		if err := monitor.NewDiscoverer(st, discoOpts(port)).RunTask(ctx, task.ID); err != nil {
			t.Fatal(err)
		}
		d := discoveredByHost(t, st)[ep.Host]
		if d == nil {
			t.Fatal("not discovered")
		}
		return d
	}

	for _, i := range []int{0, 1} {
		rx := rxs[i]
		t.Run("channels from the device "+rx.Endpoint().Model, func(t *testing.T) {
			st := store.New(dbtest.New(t))
			d := discover(t, st, rx)
			// Renamed after discovery: approval must ask the device again.
			if err := rx.SetName(1, "Vox 2"); err != nil {
				t.Fatal(err)
			}
			got, err := monitor.ApproveDiscovered(ctx, st, d.ID)
			if err != nil {
				t.Fatalf("ApproveDiscovered: %v", err)
			}
			want := map[int]string{}
			for _, c := range rx.State().Channels {
				want[c.Channel] = c.Name
			}
			names := map[int]string{}
			for _, c := range got.Channels {
				names[c.Number] = c.Name
			}
			if fmt.Sprint(names) != fmt.Sprint(want) || names[1] != "Vox 2" {
				t.Errorf("receiver channels %v, simulator has %v", names, want)
			}
			if ep := rx.Endpoint(); !strings.HasPrefix(got.Model, ep.Model) || got.Name != ep.Name {
				t.Errorf("receiver %q %q, simulator %q %q", got.Model, got.Name, ep.Model, ep.Name)
			}
			after, _ := st.DiscoveredDevices.Get(ctx, d.ID)
			if after.State != model.DiscoveredApproved || after.ReceiverID == nil || *after.ReceiverID != got.ID {
				t.Errorf("discovered row after approval: %s -> %v", after.State, after.ReceiverID)
			}
			if _, err := monitor.ApproveDiscovered(ctx, st, d.ID); !errors.Is(err, store.ErrConflict) {
				t.Errorf("approving twice = %v, want ErrConflict", err)
			}
		})
	}

	t.Run("silent device falls back to what discovery recorded", func(t *testing.T) {
		p, more := startSims(t, simSpec{"ulxd4q", "127.0.0.1"})
		st := store.New(dbtest.New(t))
		ep := more[0].Endpoint()
		task := newTask(t, st, service.TaskInput{Kind: model.DiscoveryManual, Target: ep.Addr(), Vendor: ep.Vendor})
		if err := monitor.NewDiscoverer(st, discoOpts(p)).RunTask(ctx, task.ID); err != nil {
			t.Fatal(err)
		}
		d := discoveredByHost(t, st)[ep.Host]
		more[0].Stop()
		got, err := monitor.ApproveDiscovered(ctx, st, d.ID)
		if err != nil {
			t.Fatalf("ApproveDiscovered: %v", err)
		}
		if got.Model != ep.Model || len(got.Channels) != ep.Channels {
			t.Errorf("receiver %q with %d channels, want %q with %d", got.Model, len(got.Channels), ep.Model, ep.Channels)
		}
	})

	t.Run("silent device without recorded facts is an error", func(t *testing.T) {
		st := store.New(dbtest.New(t))
		dead := freePort(t, "127.0.0.1")
		d, err := service.NewDiscovery(st).RecordFound(ctx, service.Found{Vendor: model.VendorShure, Host: "127.0.0.1", Port: dead})
		if err != nil {
			t.Fatal(err)
		}
		_, err = monitor.ApproveDiscovered(ctx, st, d.ID)
		if err == nil || !strings.Contains(err.Error(), "did not answer") {
			t.Fatalf("ApproveDiscovered = %v, want a did-not-answer error", err)
		}
		if after, _ := st.DiscoveredDevices.Get(ctx, d.ID); after.State != model.DiscoveredNew {
			t.Errorf("state after failed approval: %s", after.State)
		}
	})
}
