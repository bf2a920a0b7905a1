package sennheiser

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"micboard/app/device"
)

// fakeEM is a tiny SSC responder on 127.0.0.1: it answers reads and writes
// like an EW-DX receiver (404 for paths it lacks, 424 for an absent
// transmitter), echoes subscriptions and then pushes meters. It shares only
// the codec with the client under test.
type fakeEM struct {
	pc       net.PacketConn
	product  string // "" answers 404, forcing the /rx3 probe
	channels int
	txAbsent map[int]bool
	// end310 makes the fake end the first subscription with error 310.
	end310 bool
	// dropFirst loses that many datagrams before the first it hears, as a
	// busy network or a booting receiver may.
	dropFirst int

	mu         sync.Mutex
	silent     bool
	names      map[int]string
	requests   []Message
	subscribes int
	cancels    int
	subscriber net.Addr
	pushing    bool
	sent310    bool
}

func newFakeEM(t *testing.T, product string, channels int, tweaks ...func(*fakeEM)) *fakeEM {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeEM{pc: pc, product: product, channels: channels, txAbsent: map[int]bool{},
		names: map[int]string{1: "HH01 Vox", 2: "BP02 Gtr", 3: "HH03", 4: "HH04"}}
	for _, tw := range tweaks {
		tw(f)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
	go func() {
		defer close(done)
		f.serve()
	}()
	return f
}

func (f *fakeEM) config() device.Config {
	return device.Config{
		Host:            "127.0.0.1",
		Port:            f.pc.LocalAddr().(*net.UDPAddr).Port,
		RefreshInterval: 100 * time.Millisecond,
		PingInterval:    50 * time.Millisecond,
		LinkTimeout:     300 * time.Millisecond,
		Logger:          slog.New(slog.DiscardHandler),
	}
}

func (f *fakeEM) setSilent(v bool) {
	f.mu.Lock()
	f.silent = v
	f.mu.Unlock()
}

func (f *fakeEM) stats() (subscribes, cancels int, reqs []Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.subscribes, f.cancels, append([]Message(nil), f.requests...)
}

func (f *fakeEM) requested(path string) bool {
	_, _, reqs := f.stats()
	for _, m := range reqs {
		if _, ok := m.Leaf(path); ok {
			return true
		}
	}
	return false
}

func (f *fakeEM) serve() {
	buf := make([]byte, MaxDatagram)
	for {
		n, addr, err := f.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		req := append([]byte(nil), buf[:n]...)
		m, err := Decode(req)
		if err != nil {
			continue
		}
		f.mu.Lock()
		if f.dropFirst > 0 {
			f.dropFirst--
			f.mu.Unlock()
			continue
		}
		f.requests = append(f.requests, m)
		silent := f.silent
		f.mu.Unlock()
		if silent {
			continue
		}
		if reply := f.answer(&m, req, addr); reply != nil {
			_, _ = f.pc.WriteTo(reply, addr)
		}
	}
}

// value returns what the device holds at path, or an SSC error code.
func (f *fakeEM) value(path string) (any, int) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	chanOK := func(seg, prefix string) (int, bool) {
		n, ok := index(seg, prefix)
		return n, ok && n <= f.channels
	}
	switch {
	case path == "/device/name":
		return "EM Rack", 0
	case path == "/device/identity/version":
		return "3.1.0", 0
	case path == "/device/identity/product":
		if f.product == "" {
			return nil, CodeNotFound
		}
		return f.product, 0
	case len(segs) == 2:
		n, ok := chanOK(segs[0], "rx")
		if !ok {
			return nil, CodeNotFound
		}
		switch segs[1] {
		case "name":
			return f.names[n], 0
		case "frequency":
			return 548000 + n*1000, 0
		case "mute":
			return false, 0
		case "gain":
			return 6, 0
		case "warnings":
			if n == 1 {
				return []string{"AfPeak"}, 0
			}
			return []string{}, 0
		}
	case len(segs) >= 3 && segs[0] == "mates":
		n, ok := chanOK(segs[1], "tx")
		if !ok {
			return nil, CodeNotFound
		}
		if f.txAbsent[n] {
			return nil, CodeTxAbsent
		}
		switch strings.Join(segs[2:], "/") {
		case "battery/gauge":
			return 70, 0
		case "battery/lifetime":
			return 245, 0
		case "battery/type":
			return "Battery", 0
		case "type":
			return "SKM", 0
		}
	}
	return nil, CodeNotFound
}

func (f *fakeEM) answer(m *Message, req []byte, addr net.Addr) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	xid := int64(0)
	if m.HasXID {
		xid = m.XID
	}
	if m.Cancelled {
		f.cancels++
		return req
	}
	if len(m.Subscriptions) > 0 {
		f.subscribes++
		f.subscriber = addr
		if !f.pushing {
			f.pushing = true
			go f.push()
		}
		return req // the echo (defaults are already filled in)
	}
	values := map[string]any{}
	for _, l := range m.Leaves {
		if l.Value != nil { // a write
			if n, ok := index(strings.Split(strings.TrimPrefix(l.Path, "/"), "/")[0], "rx"); ok && strings.HasSuffix(l.Path, "/name") {
				f.names[n], _ = l.Value.(string)
			}
		}
		v, code := f.value(l.Path)
		if code != 0 {
			// One bad path fails the whole request, as on the device.
			b, _ := EncodeErrors(xid, PathError{Path: l.Path, Code: code})
			return b
		}
		values[l.Path] = v
	}
	b, _ := EncodeValues(xid, values)
	return b
}

// push sends meters every 20 ms to the subscriber, and once a 310 if asked.
func (f *fakeEM) push() {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		f.mu.Lock()
		addr, silent := f.subscriber, f.silent
		send310 := f.end310 && !f.sent310
		f.sent310 = f.sent310 || send310
		f.mu.Unlock()
		if silent {
			continue
		}
		values := map[string]any{}
		for n := 1; n <= f.channels; n++ {
			rx := "/m/rx" + strconv.Itoa(n) + "/"
			values[rx+"rssi"] = -60 - n
			values[rx+"rsqi"] = 90
			values[rx+"af"] = -20.5
			values[rx+"divi"] = 1
		}
		b, _ := EncodeValues(0, values)
		if _, err := f.pc.WriteTo(b, addr); err != nil {
			return
		}
		if send310 {
			b, _ := EncodeErrors(0, PathError{Path: "/osc/state/subscribe", Code: CodeSubscriptionEnded})
			_, _ = f.pc.WriteTo(b, addr)
		}
	}
}

type runner struct {
	mu    sync.Mutex
	state device.Reading
	done  chan error
}

func startRun(ctx context.Context, t *testing.T, d device.Driver) *runner {
	t.Helper()
	if err := d.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	r := &runner{done: make(chan error, 1)}
	go func() {
		r.done <- d.Run(ctx, func(u device.Reading) {
			r.mu.Lock()
			r.state.Merge(u)
			r.mu.Unlock()
		})
	}()
	return r
}

func (r *runner) snapshot() device.Reading {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state.Clone()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestClientEM2(t *testing.T) {
	dev := newFakeEM(t, "EW-DX EM 2", 2, func(f *fakeEM) { f.txAbsent[2] = true })
	c, err := New(dev.config())
	if err != nil {
		t.Fatal(err)
	}
	c.Lifetime = 300 * time.Millisecond // renew every 200 ms
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := startRun(ctx, t, c)

	waitFor(t, "identity, channels and meters", func() bool {
		s := run.snapshot()
		c1, c2 := s.Channels[1], s.Channels[2]
		return s.Name.Set && s.Model.Set && s.Firmware.Set && c1 != nil && c2 != nil && c1.Name.Set &&
			c2.Name.Set && c1.BatteryPercent.Set && c2.BatteryPercent.Set && c1.RFLevelDBm != nil && c2.RFLevelDBm != nil
	})
	s := run.snapshot()
	if s.Name != device.Some("EM Rack") || s.Model != device.Some("EW-DX EM 2") || s.ChannelCount != device.Some(2) ||
		s.Firmware != device.Some("3.1.0") {
		t.Errorf("receiver = %v %v %v %v", s.Name, s.Model, s.ChannelCount, s.Firmware)
	}
	c1, c2 := s.Channels[1], s.Channels[2]
	if c1.Name != device.Some("HH01 Vox") || c1.FrequencyKHz != device.Some(549000) || c1.Muted != device.Some(false) ||
		c1.Gain != device.Some(6.0) || c1.AudioPeak != device.Some(true) {
		t.Errorf("channel 1 settings = %+v", c1)
	}
	if c1.BatteryPercent != device.Some(70) || c1.BatteryMinutes != device.Some(245) || c1.TxModel != device.Some("SKM") {
		t.Errorf("channel 1 battery = %v %v %v", c1.BatteryPercent, c1.BatteryMinutes, c1.TxModel)
	}
	if c2.BatteryPercent != device.Unknown[int]() || c2.Name != device.Some("BP02 Gtr") {
		t.Errorf("channel 2 (no transmitter) = battery %v name %v", c2.BatteryPercent, c2.Name)
	}
	if c1.RFLevelDBm[0] != -61 || c2.RFLevelDBm[0] != -62 || c1.Quality != device.Some(90) || c1.Diversity != device.Some("AX") {
		t.Errorf("meters = %v %v %v %v", c1.RFLevelDBm, c2.RFLevelDBm, c1.Quality, c1.Diversity)
	}
	if _, ok := s.Channels[3]; ok || c.Channels() != 2 {
		t.Errorf("EM 2 got channel 3 or count %d", c.Channels())
	}

	// Renewal: three subscriptions (meters, warnings, mates) per round,
	// several rounds.
	waitFor(t, "renewals", func() bool { n, _, _ := dev.stats(); return n >= 9 })
	// Pings carry an xid and read /device/name.
	waitFor(t, "pings", func() bool {
		_, _, reqs := dev.stats()
		pings := 0
		for _, m := range reqs {
			if _, ok := m.Leaf("/device/name"); ok && m.HasXID && len(m.Leaves) == 1 {
				pings++
			}
		}
		return pings >= 3
	})

	if err := c.SetChannelName(ctx, 2, "BP02 Bass"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "renamed", func() bool { return run.snapshot().Channels[2].Name == device.Some("BP02 Bass") })
	if err := c.SetChannelName(ctx, 3, "x"); !errors.Is(err, device.ErrInvalidValue) {
		t.Errorf("channel 3 on an EM 2: err = %v", err)
	}
	if err := c.SetChannelName(ctx, 1, "a\x00b"); !errors.Is(err, device.ErrInvalidName) {
		t.Errorf("control character: err = %v", err)
	}

	cancel()
	select {
	case err := <-run.done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel = %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// One documented cancel per subscription, each naming what it watched.
	waitFor(t, "subscription cancels", func() bool { _, n, _ := dev.stats(); return n == 3 })
	_, _, reqs := dev.stats()
	named := 0
	for _, m := range reqs {
		if m.Cancelled && len(m.CancelPaths) == 0 {
			t.Errorf("cancel without addresses: %+v", m)
		}
		if m.Cancelled && slices.Contains(m.CancelPaths, "/m/rx1/rssi") {
			named++
		}
	}
	if named != 1 {
		t.Errorf("%d cancels named the meters, want 1", named)
	}
}

func TestClientEM4ByProbe(t *testing.T) {
	// No product name: the client must find channels 3 and 4 by probing.
	dev := newFakeEM(t, "", 4)
	c, err := New(dev.config())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := startRun(ctx, t, c)
	waitFor(t, "channel 4 name and meters", func() bool {
		c4 := run.snapshot().Channels[4]
		return c4 != nil && c4.Name.Set && c4.RFLevelDBm != nil
	})
	s := run.snapshot()
	if s.ChannelCount != device.Some(4) || c.Channels() != 4 || s.Channels[4].Name != device.Some("HH04") {
		t.Errorf("count %v / %d, ch4 %v", s.ChannelCount, c.Channels(), s.Channels[4].Name)
	}
	if !dev.requested("/rx3/name") || !dev.requested("/mates/tx4/battery/gauge") {
		t.Error("probe or channel 4 reads missing")
	}
}

// The opening reads are lost: the client asks again within about a second
// while it does not know what the device is, not a refresh interval later.
func TestClientAsksAgainWhenTheOpeningReadsAreLost(t *testing.T) {
	dev := newFakeEM(t, "EW-DX EM 4", 4, func(f *fakeEM) { f.dropFirst = 6 })
	cfg := dev.config()
	cfg.RefreshInterval = time.Minute
	cfg.PingInterval, cfg.LinkTimeout = 200*time.Millisecond, 2*time.Second
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	run := startRun(ctx, t, c)
	waitFor(t, "the family and the channels of a device whose first reads were lost", func() bool {
		s := run.snapshot()
		return c.Family() == FamilyEWDX && s.ChannelCount == device.Some(4)
	})
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("identified after %v; want within about a second of the lost reads", took)
	}
}

func TestClientResubscribesOn310(t *testing.T) {
	dev := newFakeEM(t, "EW-DX EM 2", 2, func(f *fakeEM) { f.end310 = true })
	cfg := dev.config()
	c, err := New(cfg) // default 60 s lifetime: any resubscription comes from the 310
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startRun(ctx, t, c)
	waitFor(t, "resubscription after 310", func() bool { n, _, _ := dev.stats(); return n >= 4 })
}

func TestClientOffline(t *testing.T) {
	dev := newFakeEM(t, "EW-DX EM 2", 2)
	c, err := New(dev.config())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run := startRun(context.Background(), t, c)
	waitFor(t, "name", func() bool { return run.snapshot().Name.Set })
	dev.setSilent(true)
	went := time.Now()
	select {
	case err := <-run.done:
		if !errors.Is(err, device.ErrLinkDead) {
			t.Errorf("err = %v, want ErrLinkDead", err)
		}
		// Ping every 50 ms, timeout 300 ms.
		if d := time.Since(went); d > 2*time.Second {
			t.Errorf("noticed after %v", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not notice the silent device")
	}
}

func TestClientNoDevice(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	c, err := New(device.Config{Host: "127.0.0.1", Port: port, PingInterval: 50 * time.Millisecond,
		LinkTimeout: 200 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// On loopback the ICMP "port unreachable" may already fail Dial's
	// writes; otherwise Run must give up.
	if err := c.Dial(context.Background()); err != nil {
		return
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background(), func(device.Reading) {}) }()
	select {
	case err := <-done:
		if !errors.Is(err, device.ErrLinkDead) {
			t.Errorf("err = %v, want ErrLinkDead", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not give up on a closed port")
	}
}

func TestNewDefaults(t *testing.T) {
	if _, err := New(device.Config{}); !errors.Is(err, device.ErrInvalidValue) {
		t.Errorf("empty host: %v", err)
	}
	c, err := New(device.Config{Host: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "h:45" || c.cfg.LinkTimeout != 2*time.Second || c.cfg.PingInterval != 5*time.Second {
		t.Errorf("defaults: %s %v %v", c.addr, c.cfg.LinkTimeout, c.cfg.PingInterval)
	}
	if err := c.Run(context.Background(), func(device.Reading) {}); !errors.Is(err, device.ErrNotConnected) {
		t.Errorf("Run before Dial = %v", err)
	}
}

func TestIdentifyThroughRegistry(t *testing.T) {
	dev := newFakeEM(t, "EW-DX EM 2", 2, func(f *fakeEM) { f.txAbsent[1] = true })
	got, err := device.Identify(context.Background(), device.VendorSennheiser, "127.0.0.1", dev.pc.LocalAddr().(*net.UDPAddr).Port)
	if err != nil {
		t.Fatal(err)
	}
	if got.Model != device.Some("EW-DX EM 2") || got.Name != device.Some("EM Rack") || !device.Complete(&got) ||
		got.Channels[2].Name != device.Some("BP02 Gtr") {
		t.Errorf("identify = %+v", got)
	}
	if n, _, _ := dev.stats(); n != 0 {
		t.Errorf("Identify subscribed %d times", n)
	}
}
