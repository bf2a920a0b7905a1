package shure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"micboard/app/device"
)

// linkSlack is added to the meter interval before silence counts as a dead
// link: a busy receiver may delay a sample, a dead one sends nothing at all.
const linkSlack = 5 * time.Second

// readBuffer is one read's worth on TCP: a sample is ~40 bytes and the
// splitter carries a line cut by a read over to the next, so a full GET 0
// ALL of a few KiB only takes more reads. A fleet keeps one per receiver.
// A UDP datagram is cut at the buffer, so UHF-R reads get the largest one.
const (
	readBuffer    = 4 << 10
	readBufferUDP = 64 << 10
)

// SettleQuiet is how long the opening answers may pause before the client
// takes stock: which channels answered, which family the device showed,
// and, when it never said its model, what model that makes it.
var SettleQuiet = 300 * time.Millisecond

// probeChannels is how many channels the client asks about one by one when
// a device answers `GET 0 ALL` with nothing (SLX-D+ firmware, PSM1000).
const probeChannels = 4

// stopWrite bounds the best-effort "stop metering" written on Close.
const stopWrite = 250 * time.Millisecond

// A link that delivers more than MaxNoise bytes that frame or decode as
// nothing within NoiseWindow is dropped and dialled again. Memory is already
// bounded (the splitter keeps at most MaxMessage), but a receiver spewing
// junk between real messages would otherwise be read forever: a fresh
// session is the one thing that resets a confused firmware or a crossed
// connection. A real receiver sends a few KiB of answers per refresh, so
// the threshold is far above anything legitimate.
const (
	MaxNoise    = 256 << 10
	NoiseWindow = 10 * time.Second
)

// Client is a device.Driver for one Shure device: TCP command strings, or
// UDP `* ... *` strings for UHF-R, chosen by what the device answers on.
type Client struct {
	cfg  device.Config
	addr string
	log  *slog.Logger

	mu   sync.Mutex // serialises writes and guards conn
	conn net.Conn
	udp  bool // conn speaks UHF-R's `* ... *`

	family    atomic.Uint32 // Family, learned from the device; kept across reconnects
	channels  atomic.Int32  // channel count, once known
	repErrors atomic.Int64
	warned    atomic.Bool // the inferred-model warning was logged
}

// New returns an unconnected client; cfg.Port 0 means DefaultPort.
func New(cfg device.Config) (*Client, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("shure: %w: empty host", device.ErrInvalidValue)
	}
	cfg = cfg.WithDefaults()
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	if cfg.MeterRate > MaxMeterRate {
		return nil, fmt.Errorf("shure: %w: meter rate %v above %v", device.ErrInvalidValue, cfg.MeterRate, MaxMeterRate)
	}
	if cfg.LinkTimeout <= 0 {
		interval := cfg.MeterRate
		if cfg.DisableMeters {
			// Without meters only the periodic re-query makes the device talk.
			interval = cfg.RefreshInterval
		}
		cfg.LinkTimeout = interval + linkSlack
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	c := &Client{
		cfg:  cfg,
		addr: addr,
		log:  cfg.Logger.With("vendor", device.VendorShure, "addr", addr),
	}
	for _, fi := range families {
		if cfg.Family != "" && fi.DeviceType == cfg.Family && fi.Family == FamilyUHFR {
			c.family.Store(uint32(FamilyUHFR))
		}
	}
	return c, nil
}

// Family returns the model family learned so far.
func (c *Client) Family() Family { return Family(c.family.Load()) }

// RepErrors counts `< REP ERR >` answers over the client's life.
func (c *Client) RepErrors() int64 { return c.repErrors.Load() }

// Dial connects (DialTimeout, default 2 s) and sends the opening queries:
// identity, every channel parameter, and the meter rate. A device that
// refuses TCP but answers UHF-R's strings over UDP is a UHF-R receiver.
func (c *Client) Dial(ctx context.Context) error {
	if c.Family() == FamilyUHFR {
		return c.dialUHFR(ctx)
	}
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			if uerr := c.dialUHFR(ctx); uerr == nil {
				return nil
			}
		}
		return fmt.Errorf("shure: dial %s: %w", c.addr, err)
	}
	c.setConn(conn, false)

	cmds := []string{
		Get(NoChannel, "DEVICE_ID"),
		Get(NoChannel, "MODEL"),
		Get(NoChannel, "FW_VER"),
		Get(NoChannel, "RF_BAND"),
		Get(0, "ALL"),
	}
	if !c.cfg.DisableMeters {
		rate, err := SetMeterRate(0, c.cfg.MeterRate)
		if err != nil {
			return err
		}
		cmds = append(cmds, rate)
	}
	if err := c.send(ctx, cmds...); err != nil {
		return fmt.Errorf("shure: opening queries to %s: %w", c.addr, err)
	}
	c.log.Debug("connected", "meter_rate", c.cfg.MeterRate, "meters", !c.cfg.DisableMeters)
	return nil
}

func (c *Client) setConn(conn net.Conn, udp bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
	}
	c.conn, c.udp = conn, udp
}

// send writes commands, each as its own write, within the dial timeout (or
// ctx's deadline if sooner).
func (c *Client) send(ctx context.Context, cmds ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return device.ErrNotConnected
	}
	deadline := time.Now().Add(c.cfg.DialTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.conn.SetWriteDeadline(deadline); err != nil {
		return fmt.Errorf("set write deadline: %w", err)
	}
	for _, cmd := range cmds {
		if _, err := c.conn.Write([]byte(cmd)); err != nil {
			return fmt.Errorf("write %q: %w", cmd, err)
		}
	}
	return nil
}

// session is the per-connection state of Run.
type session struct {
	dec      Decoder
	lastRep  time.Time // last answer of the opening, for settling
	settled  bool
	probed   bool // per-channel GETs sent
	metered  bool // a meter sample arrived
	settleBy time.Time
}

// Run reads until ctx ends or the link dies. Every read becomes at most
// one Reading (a GET 0 ALL answer arrives as one update, not twenty).
func (c *Client) Run(ctx context.Context, fn func(device.Reading)) error {
	c.mu.Lock()
	conn, udp := c.conn, c.udp
	c.mu.Unlock()
	if conn == nil {
		return device.ErrNotConnected
	}

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// A blocked Read only returns on a deadline; move it to the past when
	// the context ends so cancellation is immediate.
	stop := context.AfterFunc(runCtx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.refreshLoop(runCtx, cancel)
	}()
	defer wg.Wait()
	defer cancel(nil) // runs before wg.Wait so the refresher stops

	var (
		sp  Splitter
		ss  = session{dec: Decoder{Family: c.Family()}, lastRep: time.Now()}
		buf []byte

		noise      int // unreadable bytes in the current window
		noiseSince = time.Now()
		lastData   = time.Now()
	)
	if udp {
		buf = make([]byte, readBufferUDP)
	} else {
		buf = make([]byte, readBuffer)
	}
	for {
		linkTimeout := c.linkTimeout(&ss)
		deadline := lastData.Add(linkTimeout)
		if !ss.settled {
			ss.settleBy = ss.lastRep.Add(SettleQuiet)
			deadline = minTime(deadline, ss.settleBy)
		}
		if err := conn.SetReadDeadline(deadline); err != nil {
			return fmt.Errorf("shure %s: set read deadline: %w", c.addr, err)
		}
		// Checked after setting the deadline: if the context ended just
		// before, AfterFunc's past deadline may have been overwritten.
		if runCtx.Err() != nil {
			return c.stopReason(ctx, runCtx)
		}
		n, err := conn.Read(buf)
		if n > 0 {
			lastData = time.Now()
			if now := time.Now(); now.Sub(noiseSince) > NoiseWindow {
				noise, noiseSince = 0, now
			}
			if noise += c.handle(runCtx, buf[:n], udp, &sp, &ss, fn); noise > MaxNoise {
				c.log.Warn("receiver sends unreadable data, reconnecting", "bytes", noise, "window", NoiseWindow)
				return fmt.Errorf("shure %s: %d unreadable bytes within %v: %w", c.addr, noise, NoiseWindow, device.ErrLinkDead)
			}
		}
		if err == nil {
			continue
		}
		if runCtx.Err() != nil {
			return c.stopReason(ctx, runCtx)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			if !ss.settled && !time.Now().Before(ss.settleBy) && time.Since(lastData) < linkTimeout {
				c.settle(runCtx, &ss, udp, fn)
				continue
			}
			c.log.Warn("link silent, giving up", "timeout", linkTimeout)
			return fmt.Errorf("shure %s: nothing received for %v: %w", c.addr, linkTimeout, device.ErrLinkDead)
		}
		return fmt.Errorf("shure %s: read: %w: %w", c.addr, device.ErrLinkDead, err)
	}
}

// linkTimeout is how long the link may stay silent: LinkTimeout, or for a
// generic device that has sent no meter sample (it may not meter at all, or
// not in a layout Micboard reads) long enough for the periodic re-query to
// be answered.
func (c *Client) linkTimeout(ss *session) time.Duration {
	if ss.dec.Family == FamilyGeneric && !ss.metered {
		return max(c.cfg.LinkTimeout, c.cfg.RefreshInterval+linkSlack)
	}
	return c.cfg.LinkTimeout
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// stopReason tells the caller's cancellation apart from a refresh failure.
func (c *Client) stopReason(ctx, runCtx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.Cause(runCtx)
}

// handle decodes one read and returns how many of its bytes were noise:
// dropped while framing or framed into a message that does not decode.
func (c *Client) handle(ctx context.Context, p []byte, udp bool, sp *Splitter, ss *session, fn func(device.Reading)) int {
	r := device.Reading{At: time.Now()}
	dropped := sp.Dropped
	malformed := 0
	famBefore := ss.dec.Family
	each := func(msg []byte) {
		kind, err := ss.dec.Decode(&r, msg)
		switch {
		case err != nil:
			malformed += len(msg) + 2 // with its delimiters
			if len(msg) > 200 {
				msg = msg[:200] // a log line, not a copy of the junk
			}
			c.log.Debug("ignoring malformed message", "msg", string(msg), "err", err)
		case kind == KindError:
			// A firmware that does not know one of our queries answers
			// REP ERR every time; say so once, then only in debug logs.
			if c.repErrors.Add(1) == 1 {
				c.log.Warn("device answered REP ERR (a command was rejected); continuing")
			} else {
				c.log.Debug("device answered REP ERR", "count", c.repErrors.Load())
			}
		case kind == KindRep && !isMeter(&ss.dec.msg):
			ss.lastRep = time.Now()
		case kind == KindSample:
			ss.metered = true
		}
	}
	if udp {
		malformed += SplitStars(p, each)
	} else {
		sp.Feed(p, each)
	}
	if f := ss.dec.Family; f != famBefore {
		c.family.Store(uint32(f))
		c.log.Debug("model family", "family", f, "from", ss.dec.LearnedFrom)
		if f == FamilySLXDPlus && !ss.probed && !udp {
			// SLX-D+ answers GET 0 ALL with REP ERR and only starts
			// metering; GET n ALL dumps device and channel
			// (companion-module-shure-wireless docs/SLXDplus-protocol.md).
			c.probe(ctx, ss, max(ChannelsOf(ss.dec.Model), 1))
		}
	}
	if !r.Empty() {
		fn(r)
	}
	return sp.Dropped - dropped + malformed
}

// probe asks channel by channel, for devices whose GET 0 ALL says nothing.
func (c *Client) probe(ctx context.Context, ss *session, n int) {
	ss.probed, ss.lastRep = true, time.Now()
	var cmds []string
	if ss.dec.Family == FamilyUnknown || ss.dec.Family == FamilyP10T {
		cmds = append(cmds, Get(NoChannel, "DEVICE_NAME"))
	}
	for ch := 1; ch <= n; ch++ {
		cmds = append(cmds, Get(ch, "ALL"))
		if ss.dec.Family == FamilyUnknown || ss.dec.Family == FamilyP10T {
			// PSM1000 is asked parameter by parameter (micboard
			// py/device_config.py p10t getAll).
			cmds = append(cmds, Get(ch, "CHAN_NAME"), Get(ch, "FREQUENCY"), Get(ch, "RF_TX_LVL"), Get(ch, "RF_MUTE"))
		}
	}
	if err := c.send(ctx, cmds...); err != nil {
		c.log.Debug("per-channel queries failed", "err", err)
	}
}

// isMeter reports whether m is a metered value pushed at the meter rate
// (PSM1000 meters with REPORTs), which says nothing about the opening.
func isMeter(m *Message) bool {
	return m.ParamIs("AUDIO_IN_LVL_L") || m.ParamIs("AUDIO_IN_LVL_R")
}

// settle takes stock once the opening answers have stopped: it probes
// channel by channel if GET 0 ALL said nothing, then reports the channel
// count, the family and, for a device silent to MODEL, the inferred model.
func (c *Client) settle(ctx context.Context, ss *session, udp bool, fn func(device.Reading)) {
	d := &ss.dec
	if d.Named == 0 && !ss.probed && !udp {
		c.probe(ctx, ss, probeChannels)
		return
	}
	ss.settled = true
	r := device.Reading{At: time.Now()}
	// A device that talked but showed none of the families is watched as
	// a generic Shure receiver, with the channels that answered, rather
	// than refused for want of a device type.
	generic := d.Generic(&r)
	if generic {
		c.family.Store(uint32(FamilyGeneric))
	} else if d.Family != FamilyUnknown {
		r.Family = device.Some(d.DeviceType())
		r.Kind = device.Some(d.Family.Info().Kind)
	}
	n := ChannelsOf(d.Model)
	if n == 0 {
		n = d.MaxChannel
	}
	if n > 0 {
		r.ChannelCount = device.Some(n)
		c.channels.Store(int32(n))
	}
	model := d.Model
	if model == "" {
		var ok bool
		if model, ok = d.InferModel(); !ok {
			model = "unknown " + d.Family.Info().Name
			if d.Family == FamilyUnknown || d.Family == FamilyGeneric {
				model = "unknown Shure device"
			}
		}
		r.Model = device.Some(model)
		if d.Family == FamilyUHFR {
			// UHF-R has no device name to wait for.
			r.Name = device.Some("")
		}
	}
	switch {
	case generic:
		c.log.Warn("Shure device matches no family Micboard knows; watching it as a generic Shure receiver",
			"model", model, "said_model", d.Model != "", "channels", n, "answered", strings.Join(d.Answered, " "))
	case d.Model == "":
		if c.warned.CompareAndSwap(false, true) && d.Family != FamilyUHFR {
			// ULX-D and QLX-D never answer MODEL: for a family told
			// from its parameters that is normal, not worth a warning
			// on every connect of every receiver.
			level := slog.LevelInfo
			if d.Family == FamilyUnknown {
				level = slog.LevelWarn
			}
			c.log.Log(ctx, level, "device did not say its model; inferred from what it does",
				"model", model, "family", d.Family, "from", d.LearnedFrom, "channels", n)
		}
	case n > 0 && ChannelsOf(d.Model) == 0:
		c.log.Warn("model not in Micboard's table; watching the channels that answer",
			"model", d.Model, "family", d.Family, "channels", n)
	}
	if d.Family == FamilyP10T && !c.cfg.DisableMeters && !udp {
		// PSM1000 meters per channel (companion-module-shure-psm1000).
		var cmds []string
		for ch := 1; ch <= n; ch++ {
			rate, _ := SetMeterRate(ch, c.cfg.MeterRate)
			cmds = append(cmds, rate)
		}
		_ = c.send(ctx, cmds...)
	}
	fn(r)
}

// refreshLoop re-asks names and battery every RefreshInterval, because not
// every firmware pushes every change; a failed write ends Run.
func (c *Client) refreshLoop(ctx context.Context, fail context.CancelCauseFunc) {
	t := time.NewTicker(c.cfg.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := c.send(ctx, RefreshQueries(c.Family(), int(c.channels.Load()))...); err != nil {
			if ctx.Err() == nil {
				fail(fmt.Errorf("shure %s: refresh: %w: %w", c.addr, device.ErrLinkDead, err))
			}
			return
		}
	}
}

// RefreshQueries lists the periodic re-queries for a family with n channels:
// the names and battery parameters. Before the family is known it asks for
// both battery spellings rather than the model and everything again: ULX-D
// and QLX-D never answer MODEL, and a full GET 0 ALL every 10 s is heavy on
// QLX-D, whose network stack is known to lock up.
func RefreshQueries(f Family, n int) []string {
	names := []string{Get(NoChannel, "DEVICE_ID"), Get(0, "CHAN_NAME")}
	switch f {
	case FamilyULXD:
		return append(names, Get(0, "BATT_BARS"), Get(0, "BATT_RUN_TIME"), Get(0, "BATT_CHARGE"))
	case FamilyAD:
		return append(names, Get(0, "TX_BATT_BARS"), Get(0, "TX_BATT_MINS"), Get(0, "TX_BATT_CHARGE_PERCENT"))
	case FamilySLXD, FamilyGeneric:
		return append(names, Get(0, "TX_BATT_BARS"), Get(0, "TX_BATT_MINS"))
	case FamilySLXDPlus, FamilyP10T:
		// Asked channel by channel: SLX-D+ rejects the all-channels form
		// of ALL, and PSM1000 is only documented per channel.
		out := []string{Get(NoChannel, "DEVICE_ID")}
		if f == FamilyP10T {
			out = []string{Get(NoChannel, "DEVICE_NAME")}
		}
		for ch := 1; ch <= max(n, 1); ch++ {
			out = append(out, Get(ch, "CHAN_NAME"))
			if f == FamilySLXDPlus {
				out = append(out, Get(ch, "TX_BATT_BARS"), Get(ch, "TX_BATT_MINS"))
			}
		}
		return out
	case FamilyUHFR:
		var out []string
		for ch := 1; ch <= max(n, 1); ch++ {
			out = append(out, UHFRGet(ch, "CHAN_NAME"), UHFRGet(ch, "TX_BAT"))
		}
		return out
	}
	return append(names, Get(0, "BATT_BARS"), Get(0, "TX_BATT_BARS"))
}

// SetChannelName validates the name for the receiver's family (8 characters
// on ULX-D/QLX-D, SLX-D and before the family is known, 31 on AD, 12 on
// UHF-R) and sends it.
func (c *Client) SetChannelName(ctx context.Context, ch int, name string) error {
	var (
		cmd string
		err error
	)
	if c.Family() == FamilyUHFR {
		cmd, err = UHFRSetName(ch, name)
	} else {
		cmd, err = SetChannelName(ch, name, c.Family())
	}
	if err != nil {
		return err
	}
	if err := c.send(ctx, cmd); err != nil {
		return fmt.Errorf("shure %s: set channel %d name: %w", c.addr, ch, err)
	}
	return nil
}

// stopMetering lists what tells the device to stop pushing meters, as every
// reference client does before it goes: a receiver left metering streams to
// nobody (and SLX-D+ starts metering on GET 0 ALL even when not asked to).
func (c *Client) stopMetering() []string {
	n := max(int(c.channels.Load()), 1)
	switch c.Family() {
	case FamilyUHFR:
		// Metering was started on both receivers a UR4D may have (see
		// dialUHFR), before the device said how many it has.
		var out []string
		for ch := 1; ch <= max(n, uhfrReceivers); ch++ {
			out = append(out, UHFRMeter(ch, 0))
		}
		return out
	case FamilyP10T:
		var out []string
		for ch := 1; ch <= n; ch++ {
			stop, _ := SetMeterRate(ch, 0)
			out = append(out, stop)
		}
		return out
	}
	stop, _ := SetMeterRate(0, 0)
	return []string{stop}
}

// Close stops metering (best effort, briefly) and closes the connection; Run
// then returns.
func (c *Client) Close() error {
	stop := c.stopMetering()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	if err := c.conn.SetWriteDeadline(time.Now().Add(stopWrite)); err == nil {
		for _, cmd := range stop {
			if _, err := c.conn.Write([]byte(cmd)); err != nil {
				// The link is often already gone when Close is called.
				c.log.Debug("could not stop metering", "err", err)
				break
			}
		}
	}
	err := c.conn.Close()
	c.conn = nil
	if err != nil {
		return fmt.Errorf("shure %s: close: %w", c.addr, err)
	}
	return nil
}
