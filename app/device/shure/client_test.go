package shure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"micboard/app/device"
)

// fakeReceiver is a tiny AD4D-like device on 127.0.0.1: it answers the
// queries a client sends, pushes samples once METER_RATE is set, and records
// every command. It shares only the codec with the code under test.
type fakeReceiver struct {
	ln     net.Listener
	model  string
	silent bool // accept but never answer
	// chunk > 0 writes answers in pieces of that many bytes, to make the
	// client reassemble messages split across reads.
	chunk int

	mu    sync.Mutex
	cmds  []string
	names map[int]string
	conns []net.Conn
}

// newFakeReceiver starts a fake; tweaks run before it accepts anything, so
// they need no locking.
func newFakeReceiver(t *testing.T, model string, tweaks ...func(*fakeReceiver)) *fakeReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeReceiver{ln: ln, model: model, names: map[int]string{1: "HH01 Fatai", 2: "BP09"}}
	for _, tw := range tweaks {
		tw(f)
	}
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
	})
	go f.serve()
	return f
}

func (f *fakeReceiver) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *fakeReceiver) config() device.Config {
	return device.Config{
		Host:            "127.0.0.1",
		Port:            f.port(),
		MeterRate:       20 * time.Millisecond,
		RefreshInterval: 50 * time.Millisecond,
		LinkTimeout:     time.Second,
		Logger:          slog.New(slog.DiscardHandler),
	}
}

func (f *fakeReceiver) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

func (f *fakeReceiver) sawCommand(cmd string) bool {
	for _, c := range f.commands() {
		if c == cmd {
			return true
		}
	}
	return false
}

// dropAll closes every accepted connection (the device "reboots").
func (f *fakeReceiver) dropAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}

func (f *fakeReceiver) serve() {
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, conn)
		f.mu.Unlock()
		go f.session(conn)
	}
}

func (f *fakeReceiver) session(conn net.Conn) {
	defer conn.Close()
	var (
		wmu  sync.Mutex
		stop = make(chan struct{})
		once sync.Once
	)
	defer close(stop)
	write := func(s string) {
		wmu.Lock()
		defer wmu.Unlock()
		b := []byte(s)
		for f.chunk > 0 && len(b) > f.chunk {
			if _, err := conn.Write(b[:f.chunk]); err != nil {
				return
			}
			b = b[f.chunk:]
			time.Sleep(time.Millisecond)
		}
		_, _ = conn.Write(b)
	}
	var sp Splitter
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return
		}
		sp.Feed(buf[:n], func(msg []byte) {
			f.mu.Lock()
			f.cmds = append(f.cmds, "< "+string(msg)+" >")
			f.mu.Unlock()
			if f.silent {
				return
			}
			m, err := Parse(msg)
			if err != nil {
				write(RepErr)
				return
			}
			if m.Kind == KindSet && m.ParamIs("METER_RATE") {
				ms, _ := strconv.Atoi(string(m.Value))
				write(Rep(0, "METER_RATE", fmt.Sprintf("%05d", ms)))
				if ms > 0 {
					once.Do(func() { go f.meter(time.Duration(ms)*time.Millisecond, write, stop) })
				}
				return
			}
			write(f.answer(&m))
		})
	}
}

func (f *fakeReceiver) meter(every time.Duration, write func(string), stop chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		var b []byte
		b = append(b, "< SAMPLE 1 ALL 005 031 102 102 BB 31 086 31 065 >"...)
		b = append(b, "< SAMPLE 2 ALL 255 000 005 033 XX 00 011 00 012 >"...)
		write(string(b))
	}
}

func (f *fakeReceiver) answer(m *Message) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	channels := []int{m.Channel}
	if m.Channel == 0 {
		channels = []int{1, 2}
	}
	var out strings.Builder
	switch {
	case m.Kind == KindGet && m.ParamIs("DEVICE_ID"):
		out.WriteString(RepString(NoChannel, "DEVICE_ID", "Stage Left", WidthName))
	case m.Kind == KindGet && m.ParamIs("MODEL"):
		out.WriteString(RepString(NoChannel, "MODEL", f.model, WidthModel))
	case m.Kind == KindGet && m.ParamIs("FW_VER"):
		out.WriteString(RepString(NoChannel, "FW_VER", "2.4.12", WidthFirmware))
	case m.Kind == KindGet && m.ParamIs("RF_BAND"):
		out.WriteString(RepString(NoChannel, "RF_BAND", "G57", 8))
	case m.Kind == KindGet && m.ParamIs("ALL"):
		for _, ch := range channels {
			out.WriteString(RepString(ch, "CHAN_NAME", f.names[ch], WidthName))
			out.WriteString(Rep(ch, "TX_BATT_BARS", "004"))
			out.WriteString(Rep(ch, "TX_BATT_MINS", "00312"))
			out.WriteString(Rep(ch, "FREQUENCY", "0594075"))
			out.WriteString(Rep(ch, "TX_OFFSET", "015"))
			out.WriteString(Rep(ch, "SOME_FUTURE_PARAM", "42"))
		}
	case m.Kind == KindGet && m.ParamIs("CHAN_NAME"):
		for _, ch := range channels {
			out.WriteString(RepString(ch, "CHAN_NAME", f.names[ch], WidthName))
		}
	case m.Kind == KindGet && m.ParamIs("TX_BATT_BARS"):
		for _, ch := range channels {
			out.WriteString(Rep(ch, "TX_BATT_BARS", "003"))
		}
	case m.Kind == KindSet && m.ParamIs("CHAN_NAME"):
		f.names[m.Channel] = string(m.Value)
		out.WriteString(RepString(m.Channel, "CHAN_NAME", string(m.Value), WidthName))
	default:
		out.WriteString(RepErr)
	}
	return out.String()
}

// runClient dials and runs c in the background, merging every update into a
// state the test can poll.
type runner struct {
	mu    sync.Mutex
	state device.Reading
	n     int
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
			r.n++
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

func TestClientSession(t *testing.T) {
	dev := newFakeReceiver(t, "AD4D", func(f *fakeReceiver) { f.chunk = 7 })
	c, err := New(dev.config())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := startRun(ctx, t, c)

	waitFor(t, "identity, names and samples", func() bool {
		s := run.snapshot()
		c1, c2 := s.Channels[1], s.Channels[2]
		return s.Name.Set && s.Model.Set && s.Firmware.Set && s.RFBand.Set && c1 != nil && c2 != nil &&
			c1.Name.Set && c1.RFLevelDBm != nil && c2.Quality.Set
	})
	s := run.snapshot()
	if s.Name != device.Some("Stage Left") || s.Model != device.Some("AD4D") || s.ChannelCount != device.Some(2) ||
		s.Firmware != device.Some("2.4.12") || s.RFBand != device.Some("G57") {
		t.Errorf("receiver = %v %v %v %v %v", s.Name, s.Model, s.ChannelCount, s.Firmware, s.RFBand)
	}
	c1, c2 := s.Channels[1], s.Channels[2]
	if c1.Name != device.Some("HH01 Fatai") || c2.Name != device.Some("BP09") {
		t.Errorf("names = %v %v", c1.Name, c2.Name)
	}
	if c1.FrequencyKHz != device.Some(594075) || c1.TxOffsetDB != device.Some(3) ||
		c1.BatteryMinutes != device.Some(312) {
		t.Errorf("channel 1 = freq %v offset %v minutes %v", c1.FrequencyKHz, c1.TxOffsetDB, c1.BatteryMinutes)
	}
	if c2.Quality != device.Unknown[int]() || c2.RFLevelDBm[0] != -109 {
		t.Errorf("channel 2 sample = quality %v rf %v", c2.Quality, c2.RFLevelDBm)
	}
	if c.Family() != FamilyAD {
		t.Errorf("family = %v", c.Family())
	}

	// The opening queries, in order.
	want := []string{"< GET DEVICE_ID >", "< GET MODEL >", "< GET FW_VER >", "< GET RF_BAND >",
		"< GET 0 ALL >", "< SET 0 METER_RATE 00020 >"}
	waitFor(t, "opening queries", func() bool { return len(dev.commands()) >= len(want) })
	if got := dev.commands()[:len(want)]; strings.Join(got, "") != strings.Join(want, "") {
		t.Errorf("opening queries = %q, want %q", got, want)
	}

	// The periodic re-query uses the AD parameter names.
	waitFor(t, "battery re-query", func() bool { return dev.sawCommand("< GET 0 TX_BATT_BARS >") })
	waitFor(t, "re-queried battery", func() bool {
		b := run.snapshot().Channels[1].BatteryBars
		return b == device.Some(3)
	})

	// Renaming goes out as SET and comes back as a REP.
	if err := c.SetChannelName(ctx, 1, "HH01 Ana"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "renamed channel", func() bool { return run.snapshot().Channels[1].Name == device.Some("HH01 Ana") })
	if !dev.sawCommand("< SET 1 CHAN_NAME {HH01 Ana} >") {
		t.Errorf("SET not seen; commands: %q", dev.commands())
	}
	if err := c.SetChannelName(ctx, 1, "bad{name"); !errors.Is(err, device.ErrInvalidName) {
		t.Errorf("bad name: err = %v", err)
	}

	// The fake answers REP ERR to what it does not know; make one happen
	// and check the session carries on.
	if err := c.send(ctx, Get(1, "NO_SUCH_PARAM")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "REP ERR counted", func() bool { return c.RepErrors() >= 1 })
	before := run.snapshot()
	waitFor(t, "samples after REP ERR", func() bool {
		run.mu.Lock()
		defer run.mu.Unlock()
		return run.state.At.After(before.At)
	})

	cancel()
	select {
	case err := <-run.done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestClientDeadLink(t *testing.T) {
	dev := newFakeReceiver(t, "ULXD4", func(f *fakeReceiver) { f.silent = true })
	cfg := dev.config()
	cfg.LinkTimeout = 150 * time.Millisecond
	cfg.RefreshInterval = time.Hour
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	run := startRun(context.Background(), t, c)
	select {
	case err := <-run.done:
		if !errors.Is(err, device.ErrLinkDead) {
			t.Errorf("err = %v, want ErrLinkDead", err)
		}
		if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
			t.Errorf("gave up after %v", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not notice the silent device")
	}
}

func TestClientDeviceDrops(t *testing.T) {
	dev := newFakeReceiver(t, "SLXD4D")
	c, err := New(dev.config())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run := startRun(context.Background(), t, c)
	waitFor(t, "model", func() bool { return run.snapshot().Model.Set })
	dev.dropAll()
	select {
	case err := <-run.done:
		if !errors.Is(err, device.ErrLinkDead) || !errors.Is(err, io.EOF) {
			t.Errorf("err = %v, want ErrLinkDead wrapping EOF", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not notice the closed connection")
	}
	if c.Family() != FamilySLXD {
		t.Errorf("family = %v", c.Family())
	}
	// The supervisor reconnects on the same client.
	run = startRun(context.Background(), t, c)
	waitFor(t, "model after reconnect", func() bool { return run.snapshot().Model.Set })
	c.Close()
	select {
	case err := <-run.done:
		if err == nil {
			t.Error("Run returned nil after Close")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return after Close")
	}
}

func TestClientDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c, err := New(device.Config{Host: "127.0.0.1", Port: port})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Dial(context.Background()); err == nil {
		t.Fatal("Dial to a closed port succeeded")
	}
	if err := c.Run(context.Background(), func(device.Reading) {}); !errors.Is(err, device.ErrNotConnected) {
		t.Errorf("Run without connection = %v", err)
	}
	if err := c.SetChannelName(context.Background(), 1, "x"); !errors.Is(err, device.ErrNotConnected) {
		t.Errorf("SetChannelName without connection = %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(device.Config{}); !errors.Is(err, device.ErrInvalidValue) {
		t.Errorf("empty host: %v", err)
	}
	if _, err := New(device.Config{Host: "h", MeterRate: 200 * time.Second}); !errors.Is(err, device.ErrInvalidValue) {
		t.Errorf("meter rate: %v", err)
	}
	c, err := New(device.Config{Host: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "h:2202" || c.cfg.LinkTimeout != 6*time.Second {
		t.Errorf("defaults: addr %s link timeout %v", c.addr, c.cfg.LinkTimeout)
	}
}

func TestIdentifyThroughRegistry(t *testing.T) {
	dev := newFakeReceiver(t, "AD4D")
	got, err := device.Identify(context.Background(), device.VendorShure, "127.0.0.1", dev.port())
	if err != nil {
		t.Fatal(err)
	}
	if got.Model != device.Some("AD4D") || got.Name != device.Some("Stage Left") ||
		got.Channels[2].Name != device.Some("BP09") || !device.Complete(&got) {
		t.Errorf("identify = %+v", got)
	}
	for _, cmd := range dev.commands() {
		if strings.Contains(cmd, "METER_RATE") && cmd != "< SET 0 METER_RATE 00000 >" {
			t.Errorf("Identify started metering: %q", cmd)
		}
	}
}

// Every reference client stops metering before it goes (micboard
// py/device_config.py 'meter_stop', companion-module-shure-wireless
// docs/SLXDplus-protocol.md "On disconnect / reset, metering is stopped"), so
// a receiver is not left streaming to nobody.
func TestCloseStopsMetering(t *testing.T) {
	dev := newFakeReceiver(t, "AD4D")
	c, err := New(dev.config())
	if err != nil {
		t.Fatal(err)
	}
	run := startRun(context.Background(), t, c)
	waitFor(t, "samples", func() bool { return run.snapshot().Channels[1] != nil && run.snapshot().Channels[1].AudioLevelDBFS.Set })
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "meter stop", func() bool { return dev.sawCommand("< SET 0 METER_RATE 00000 >") })
	<-run.done
}

// A UHF-R client starts metering on both receivers of a UR4D when it
// connects (`* METER n ALL nnn *`), so closing it stops both with
// `* METER n ALL STOP *`, even before the receiver has said how many
// receivers it has (the original micboard's py/device_config.py stops each
// one the same way).
func TestCloseStopsUHFRMetering(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	var (
		mu   sync.Mutex
		seen []string
	)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			SplitStars(buf[:n], func(m []byte) {
				mu.Lock()
				seen = append(seen, string(m))
				mu.Unlock()
			})
			// Answer the first name query only; the rest stays unanswered
			// so the client has not yet counted the receivers.
			if strings.Contains(string(buf[:n]), "GET 1 CHAN_NAME") {
				_, _ = pc.WriteTo([]byte(UHFRReport(1, "CHAN_NAME", "HH01")), from)
			}
		}
	}()
	c, err := New(device.Config{Host: "127.0.0.1", Port: pc.LocalAddr().(*net.UDPAddr).Port, Family: "uhfr",
		MeterRate: time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	has := func(want string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range seen {
			if strings.EqualFold(strings.Join(strings.Fields(strings.Trim(s, "* ")), " "), want) {
				return true
			}
		}
		return false
	}
	waitFor(t, "receiver 1 metering started", func() bool { return has("METER 1 ALL 033") })
	waitFor(t, "receiver 1 metering stopped", func() bool { return has("METER 1 ALL STOP") })
	waitFor(t, "receiver 2 metering stopped", func() bool { return has("METER 2 ALL STOP") })
}
