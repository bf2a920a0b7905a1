package sennheiser

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
	"time"
	"unicode"

	"micboard/app/device"
)

func init() {
	device.Register(device.VendorSennheiser, func(cfg device.Config) (device.Driver, error) {
		return New(cfg)
	})
}

// DefaultLinkTimeout is how long a /device/name ping may go unanswered.
const DefaultLinkTimeout = 2 * time.Second

// minChannels is what every EW-DX receiver has; channels above it are
// queried only once the model (or the /rx3 probe) says they exist, because
// asking for a missing path makes the device reject the whole request.
const minChannels = 2

// Client is a device.Driver for one SSC receiver over UDP.
type Client struct {
	// Lifetime is the subscription lifetime asked for (default 60 s); the
	// client renews at two thirds of it. Set before Dial.
	Lifetime time.Duration

	cfg  device.Config
	addr string
	log  *slog.Logger

	mu   sync.Mutex // guards conn
	conn net.Conn

	xid      atomic.Int64
	channels atomic.Int32 // learned channel count, 0 = unknown
}

// New returns an unconnected client; cfg.Port 0 means DefaultPort.
func New(cfg device.Config) (*Client, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("sennheiser: %w: empty host", device.ErrInvalidValue)
	}
	cfg = cfg.WithDefaults()
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	if cfg.LinkTimeout <= 0 {
		cfg.LinkTimeout = DefaultLinkTimeout
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	return &Client{
		cfg:  cfg,
		addr: addr,
		log:  cfg.Logger.With("vendor", device.VendorSennheiser, "addr", addr),
	}, nil
}

// Channels returns the channel count learned so far (0 = unknown).
func (c *Client) Channels() int { return int(c.channels.Load()) }

func (c *Client) lifetime() time.Duration {
	if c.Lifetime > 0 {
		return c.Lifetime
	}
	return time.Duration(DefaultSubscription.Lifetime) * time.Second
}

// Dial opens the UDP socket and sends the opening reads. UDP has no
// handshake, so an absent device shows up in Run as an unanswered ping.
func (c *Client) Dial(ctx context.Context) error {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "udp", c.addr)
	if err != nil {
		return fmt.Errorf("sennheiser: dial %s: %w", c.addr, err)
	}
	c.mu.Lock()
	if c.conn != nil {
		c.conn.Close()
	}
	c.conn = conn
	c.mu.Unlock()

	n := max(c.Channels(), minChannels)
	reqs := [][]string{
		{"/device/name", "/device/identity/version"},
		{"/device/identity/product"},
		{"/device/identity/serial"},
	}
	if c.Channels() == 0 {
		reqs = append(reqs, probePaths)
	}
	reqs = append(reqs, channelReads(1, n)...)
	if err := c.sendReads(ctx, reqs...); err != nil {
		return fmt.Errorf("sennheiser: opening reads to %s: %w", c.addr, err)
	}
	c.log.Debug("socket open")
	return nil
}

// probePaths tells an EM 4 from an EM 2 when the product name does not.
var probePaths = []string{"/rx3/name"}

// channelReads lists the per-channel reads for channels from..to: receiver
// settings in one request and the transmitter in another, so an absent
// transmitter (424) does not hide the receiver's values.
func channelReads(from, to int) [][]string {
	var out [][]string
	for n := from; n <= to; n++ {
		rx := "/rx" + strconv.Itoa(n) + "/"
		tx := "/mates/tx" + strconv.Itoa(n) + "/"
		out = append(out,
			[]string{rx + "name", rx + "frequency", rx + "mute", rx + "gain", rx + "warnings"},
			[]string{tx + "battery/gauge", tx + "battery/lifetime", tx + "battery/type", tx + "type"},
		)
	}
	return out
}

func meterPaths(n int) []string {
	var out []string
	for ch := 1; ch <= n; ch++ {
		m := "/m/rx" + strconv.Itoa(ch) + "/"
		out = append(out, m+"rssi", m+"rsqi", m+"af", m+"divi")
	}
	return out
}

func matePaths(n int) []string {
	var out []string
	for ch := 1; ch <= n; ch++ {
		tx := "/mates/tx" + strconv.Itoa(ch) + "/battery/"
		out = append(out, tx+"gauge", tx+"lifetime", tx+"type")
	}
	return out
}

func (c *Client) nextXID() int64 { return c.xid.Add(1) }

func (c *Client) sendReads(ctx context.Context, reqs ...[]string) error {
	for _, paths := range reqs {
		b, err := EncodeRead(c.nextXID(), paths...)
		if err != nil {
			return err
		}
		if err := c.send(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// send writes one datagram within the dial timeout (or ctx's deadline).
func (c *Client) send(ctx context.Context, b []byte) error {
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
	if _, err := c.conn.Write(b); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// session is Run's state; only Run's goroutine touches it.
type session struct {
	count        int  // channel count, 0 = unknown
	fromProduct  bool // count came from the product name, not the probe
	pingXID      int64
	pingSent     time.Time // zero when no ping is outstanding
	nextPing     time.Time
	nextRenew    time.Time // zero until subscribed
	nextRefresh  time.Time
	errorsLogged map[int]bool
}

// Run pings, subscribes, renews and re-reads until ctx ends or a ping goes
// unanswered for LinkTimeout (then it returns an error wrapping
// device.ErrLinkDead). Every datagram becomes at most one Reading.
func (c *Client) Run(ctx context.Context, fn func(device.Reading)) error {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return device.ErrNotConnected
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	now := time.Now()
	s := &session{
		count:        c.Channels(),
		nextPing:     now,
		nextRefresh:  now.Add(c.cfg.RefreshInterval),
		errorsLogged: map[int]bool{},
	}
	if s.count > 0 {
		s.nextRenew = now
	}
	buf := make([]byte, MaxDatagram)
	for {
		if err := c.timers(ctx, s, time.Now()); err != nil {
			return err
		}
		if err := conn.SetReadDeadline(s.wake(c.cfg.LinkTimeout, !c.cfg.DisableMeters)); err != nil {
			return fmt.Errorf("sennheiser %s: set read deadline: %w", c.addr, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n, err := conn.Read(buf)
		if n > 0 {
			c.handle(ctx, s, buf[:n], fn)
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue // a timer is due
		}
		// Typically "connection refused": an ICMP port unreachable came back.
		return fmt.Errorf("sennheiser %s: read: %w: %w", c.addr, device.ErrLinkDead, err)
	}
}

// wake returns when Run must next look at its timers.
func (s *session) wake(linkTimeout time.Duration, meters bool) time.Time {
	t := s.nextPing
	if !s.pingSent.IsZero() {
		t = earlier(t, s.pingSent.Add(linkTimeout))
	}
	if meters && !s.nextRenew.IsZero() {
		t = earlier(t, s.nextRenew)
	}
	return earlier(t, s.nextRefresh)
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// timers sends what is due: pings, subscription renewals, re-reads. It
// returns ErrLinkDead when a ping went unanswered too long.
func (c *Client) timers(ctx context.Context, s *session, now time.Time) error {
	if !s.pingSent.IsZero() && now.Sub(s.pingSent) >= c.cfg.LinkTimeout {
		c.log.Warn("ping unanswered, device offline", "timeout", c.cfg.LinkTimeout)
		return fmt.Errorf("sennheiser %s: /device/name unanswered for %v: %w", c.addr, c.cfg.LinkTimeout, device.ErrLinkDead)
	}
	if !now.Before(s.nextPing) {
		if s.pingSent.IsZero() {
			s.pingXID = c.nextXID()
			b, err := EncodeRead(s.pingXID, "/device/name")
			if err != nil {
				return err
			}
			if err := c.send(ctx, b); err != nil {
				return c.sendErr(ctx, "ping", err)
			}
			s.pingSent = now
		}
		s.nextPing = now.Add(c.cfg.PingInterval)
	}
	if !c.cfg.DisableMeters && s.count > 0 && !s.nextRenew.IsZero() && !now.Before(s.nextRenew) {
		if err := c.subscribe(ctx, s.count); err != nil {
			return c.sendErr(ctx, "subscribe", err)
		}
		s.nextRenew = now.Add(c.lifetime() * 2 / 3)
	}
	if !now.Before(s.nextRefresh) {
		reqs := channelReads(1, max(s.count, minChannels))
		reqs = append(reqs, []string{"/device/name"})
		if s.count == 0 {
			reqs = append(reqs, []string{"/device/identity/product"}, probePaths)
		}
		if err := c.sendReads(ctx, reqs...); err != nil {
			return c.sendErr(ctx, "refresh", err)
		}
		s.nextRefresh = now.Add(c.cfg.RefreshInterval)
	}
	return nil
}

func (c *Client) sendErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("sennheiser %s: %s: %w: %w", c.addr, what, device.ErrLinkDead, err)
}

// subscribe asks for meters and transmitter battery of n channels, as two
// subscriptions so a missing transmitter cannot cancel the meters.
func (c *Client) subscribe(ctx context.Context, n int) error {
	sub := DefaultSubscription
	sub.Lifetime = max(1, int(c.lifetime()/time.Second))
	for _, paths := range [][]string{meterPaths(n), matePaths(n)} {
		b, err := EncodeSubscribe(c.nextXID(), sub, paths...)
		if err != nil {
			return err
		}
		if err := c.send(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) handle(ctx context.Context, s *session, p []byte, fn func(device.Reading)) {
	m, err := Decode(p)
	if err != nil {
		c.log.Debug("ignoring malformed datagram", "err", err, "len", len(p))
		return
	}
	if _, named := m.Leaf("/device/name"); !s.pingSent.IsZero() && ((m.HasXID && m.XID == s.pingXID) || named) {
		s.pingSent = time.Time{}
	}
	r := device.Reading{At: time.Now()}
	Apply(&r, &m)

	// Learn the channel count: the product name wins over the probe.
	if n, ok := r.ChannelCount.Get(); ok {
		s.fromProduct = true
		c.learnChannels(ctx, s, n)
	} else if !s.fromProduct {
		if n := probeResult(&m); n > 0 {
			r.ChannelCount = device.Some(n)
			c.learnChannels(ctx, s, n)
		}
	}
	for _, e := range m.Errors {
		switch e.Code {
		case CodeSubscriptionEnded:
			s.nextRenew = time.Now() // resubscribe at once
		case CodeTxAbsent, CodeNotFound:
			// Expected: absent transmitters and the EM 2 answer to the probe.
			c.log.Debug("ssc error", "path", e.Path, "code", e.Code)
		default:
			// Log each kind once at warn level; a rejected write repeats.
			if !s.errorsLogged[e.Code] {
				s.errorsLogged[e.Code] = true
				c.log.Warn("device reported an error", "path", e.Path, "code", e.Code)
			}
		}
	}
	if !r.Empty() {
		fn(r)
	}
}

// probeResult reads the answer to the /rx3 probe: a value means 4 channels,
// 404 means 2.
func probeResult(m *Message) int {
	for _, l := range m.Leaves {
		if strings.HasPrefix(l.Path, "/rx3/") || strings.HasPrefix(l.Path, "/rx4/") {
			return 4
		}
	}
	for _, e := range m.Errors {
		if e.Code == CodeNotFound && strings.HasPrefix(e.Path, "/rx3/") {
			return 2
		}
	}
	return 0
}

func (c *Client) learnChannels(ctx context.Context, s *session, n int) {
	if n == s.count {
		return
	}
	prev := s.count
	s.count = n
	c.channels.Store(int32(n))
	c.log.Debug("channel count", "channels", n)
	if from := max(prev, minChannels) + 1; from <= n {
		if err := c.sendReads(ctx, channelReads(from, n)...); err != nil {
			c.log.Debug("reading new channels failed; the refresh will retry", "err", err)
		}
	}
	s.nextRenew = time.Now() // (re)subscribe with the right channel set
}

// SetChannelName writes /rx{ch}/name. The receiver checks length and
// characters itself and answers 406 if it refuses (logged by Run); control
// characters are refused here because they cannot show on any display.
func (c *Client) SetChannelName(ctx context.Context, ch int, name string) error {
	if ch < 1 {
		return fmt.Errorf("%w: channel %d", device.ErrInvalidValue, ch)
	}
	if n := c.Channels(); n > 0 && ch > n {
		return fmt.Errorf("%w: channel %d of %d", device.ErrInvalidValue, ch, n)
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("%w: %q contains control or invalid characters", device.ErrInvalidName, name)
		}
	}
	b, err := EncodeWrite(c.nextXID(), "/rx"+strconv.Itoa(ch)+"/name", name)
	if err != nil {
		return err
	}
	if err := c.send(ctx, b); err != nil {
		return fmt.Errorf("sennheiser %s: set channel %d name: %w", c.addr, ch, err)
	}
	return nil
}

// Close cancels the subscriptions (best effort: the device would drop them at
// the end of their lifetime anyway) and closes the socket.
func (c *Client) Close() error {
	c.mu.Lock()
	conn := c.conn
	c.conn = nil
	c.mu.Unlock()
	if conn == nil {
		return nil
	}
	if !c.cfg.DisableMeters {
		_ = conn.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		_, _ = conn.Write(EncodeCancel(c.nextXID()))
	}
	if err := conn.Close(); err != nil {
		return fmt.Errorf("sennheiser %s: close: %w", c.addr, err)
	}
	return nil
}
