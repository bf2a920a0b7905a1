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
	family   atomic.Int32 // learned Family, FamilyUnknown until the device says

	// subscribed holds the address sets subscribed last, so Close can
	// cancel them by name (guarded by mu).
	subscribed [][]string
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
	c := &Client{
		cfg:  cfg,
		addr: addr,
		log:  cfg.Logger.With("vendor", device.VendorSennheiser, "addr", addr),
	}
	// The registered family is a hint: the device's answers override it.
	if f := FamilyByDeviceType(cfg.Family); f == FamilyEWDX || f == FamilyEM6000 {
		c.family.Store(int32(f))
		if f == FamilyEM6000 {
			c.channels.Store(int32(f.Info().Channels))
		}
	}
	return c, nil
}

// Family returns the family learned so far (FamilyUnknown until the device
// answered something only one family's tree holds).
func (c *Client) Family() Family { return Family(c.family.Load()) }

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

	reqs := [][]string{
		{"/device/name", "/device/identity/version"},
		{"/device/identity/product"},
		{"/device/identity/serial"},
	}
	switch fam := c.Family(); {
	case fam == FamilyUnknown:
		// Ask what only one family's tree holds; the 404 of the other
		// tells them apart whatever the product is called.
		reqs = append(reqs, familyProbes...)
	case c.Channels() == 0:
		reqs = append(reqs, probePaths)
		fallthrough
	default:
		reqs = append(reqs, channelReads(fam, 1, max(c.Channels(), minChannels))...)
	}
	if err := c.sendReads(ctx, reqs...); err != nil {
		return fmt.Errorf("sennheiser: opening reads to %s: %w", c.addr, err)
	}
	c.log.Debug("socket open")
	return nil
}

// probePaths tells an EM 4 from an EM 2 when the product name does not.
var probePaths = []string{"/rx3/name"}

// familyProbes are one read per family, each of a path only that family's
// tree holds (EW-DX /rx1/frequency, Digital 6000 /mm), sent apart so the
// 404 of one does not hide the other's answer.
var familyProbes = [][]string{{"/rx1/frequency"}, {"/mm"}}

// channelReads lists the per-channel reads of family fam for channels
// from..to: receiver settings in one request and the transmitter in
// another, so an absent transmitter (424) does not hide the receiver's
// values.
func channelReads(fam Family, from, to int) [][]string {
	var out [][]string
	for n := from; n <= to; n++ {
		rx := "/rx" + strconv.Itoa(n) + "/"
		if fam == FamilyEM6000 {
			// TI 1109 §8: /rx1/name, carrier, audio_mute, active_warnings,
			// skx/battery; skx/type apart since not every firmware has it.
			out = append(out,
				[]string{rx + "name", rx + "carrier", rx + "audio_mute", rx + "active_warnings"},
				[]string{rx + "skx/battery"},
				[]string{rx + "skx/type"},
			)
			continue
		}
		tx := "/mates/tx" + strconv.Itoa(n) + "/"
		out = append(out,
			[]string{rx + "name", rx + "frequency", rx + "mute", rx + "gain", rx + "warnings"},
			[]string{tx + "battery/gauge", tx + "battery/lifetime", tx + "battery/type", tx + "type"},
			[]string{tx + "warnings"},
		)
	}
	return out
}

// subscriptionSets lists what Micboard subscribes to for n channels of
// family fam, one subscription per set so a missing transmitter (424)
// cannot end the meters. Warnings are subscribed, not polled: a clip lasts
// less than the refresh interval.
func subscriptionSets(fam Family, n int) [][]string {
	if fam == FamilyEM6000 {
		var warn, batt []string
		for ch := 1; ch <= n; ch++ {
			rx := "/rx" + strconv.Itoa(ch) + "/"
			warn = append(warn, rx+"active_warnings")
			batt = append(batt, rx+"skx/battery")
		}
		return [][]string{{"/mm"}, warn, batt}
	}
	var meters, warn, mates []string
	for ch := 1; ch <= n; ch++ {
		m := "/m/rx" + strconv.Itoa(ch) + "/"
		meters = append(meters, m+"rssi", m+"rsqi", m+"af", m+"divi")
		warn = append(warn, "/rx"+strconv.Itoa(ch)+"/warnings")
		tx := "/mates/tx" + strconv.Itoa(ch) + "/"
		mates = append(mates, tx+"battery/gauge", tx+"battery/lifetime", tx+"battery/type", tx+"warnings")
	}
	return [][]string{meters, warn, mates}
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
	fam          Family
	count        int           // channel count, 0 = unknown
	fromProduct  bool          // count came from the product name, not the probe
	lifetime     time.Duration // subscription lifetime in force (the device's echo wins)
	subSent      time.Time     // when the last (re)subscription went out
	probes404    int           // family probes the device answered with 404
	productSeen  bool
	warnedModel  bool
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
		fam:          c.Family(),
		lifetime:     c.lifetime(),
		count:        c.Channels(),
		nextPing:     now,
		errorsLogged: map[int]bool{},
	}
	s.nextRefresh = now.Add(c.refreshAfter(s))
	if s.count > 0 && s.fam != FamilyUnknown {
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
	if !c.cfg.DisableMeters && s.count > 0 && s.fam != FamilyUnknown && !s.nextRenew.IsZero() && !now.Before(s.nextRenew) {
		if err := c.subscribe(ctx, s.fam, s.count); err != nil {
			return c.sendErr(ctx, "subscribe", err)
		}
		s.subSent = now
		s.nextRenew = now.Add(s.lifetime * 2 / 3)
	}
	if !now.Before(s.nextRefresh) {
		var reqs [][]string
		if s.fam == FamilyUnknown {
			reqs = append(reqs, familyProbes...)
		} else {
			reqs = channelReads(s.fam, 1, max(s.count, minChannels))
		}
		reqs = append(reqs, []string{"/device/name"})
		if s.count == 0 {
			reqs = append(reqs, []string{"/device/identity/product"})
			if s.fam == FamilyEWDX {
				reqs = append(reqs, probePaths)
			}
		}
		if err := c.sendReads(ctx, reqs...); err != nil {
			return c.sendErr(ctx, "refresh", err)
		}
		s.nextRefresh = now.Add(c.refreshAfter(s))
	}
	return nil
}

// identifyRetry is how soon the reads that tell what a device is go out
// again while it has not said: UDP may lose the opening reads (a busy
// switch, a receiver still booting), and waiting a whole refresh interval
// would leave a receiver unidentified for that long.
const identifyRetry = time.Second

// refreshAfter is the time to the next re-read: soon while the family or
// the channel count is unknown, else the refresh interval.
func (c *Client) refreshAfter(s *session) time.Duration {
	if s.fam == FamilyUnknown || s.count == 0 {
		return min(identifyRetry, c.cfg.RefreshInterval)
	}
	return c.cfg.RefreshInterval
}

func (c *Client) sendErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("sennheiser %s: %s: %w: %w", c.addr, what, device.ErrLinkDead, err)
}

// subscribe asks for meters, warnings and transmitter battery of n channels
// of family fam, one subscription per set (see subscriptionSets).
func (c *Client) subscribe(ctx context.Context, fam Family, n int) error {
	sub := DefaultSubscription
	sub.Lifetime = max(1, int(c.lifetime()/time.Second))
	sets := subscriptionSets(fam, n)
	for i, paths := range sets {
		s := sub
		if fam == FamilyEM6000 && i == 0 {
			// /mm changes with every sample; the guide throttles it with
			// min = max (TI 1109 §8.100), here at the meter rate.
			ms := int(c.cfg.MeterRate / time.Millisecond)
			s.Min, s.Max = ms, ms
		}
		b, err := EncodeSubscribe(c.nextXID(), s, paths...)
		if err != nil {
			return err
		}
		if err := c.send(ctx, b); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.subscribed = sets
	c.mu.Unlock()
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
	c.learnFamily(ctx, s, &r, &m)

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
	c.honourLifetime(s, &m)
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

// learnFamily settles what the device is from what it answered: a value at
// a path only one family holds, or a product the table lists. A product
// Micboard does not list is logged once and the device is watched as the
// family its tree shows, never refused. When the device answers neither
// family's probe, it still speaks SSC: it is watched as the EW-DX dialect.
func (c *Client) learnFamily(ctx context.Context, s *session, r *device.Reading, m *Message) {
	if p, ok := m.Leaf("/device/identity/product"); ok {
		s.productSeen = true
		if name, _ := p.(string); !s.warnedModel {
			if _, _, known := LookupProduct(name); !known {
				s.warnedModel = true
				c.log.Warn("product not in Micboard's table; watching the receiver by what it answers",
					"product", name)
			}
		}
	}
	if code, ok := m.ErrorCode("/device/identity/product"); ok && code == CodeNotFound {
		s.productSeen = true
	}
	for _, e := range m.Errors {
		if e.Code == CodeNotFound && (e.Path == "/rx1/frequency" || e.Path == "/mm") {
			s.probes404++
		}
	}
	fam := FamilyByDeviceType(r.Family.V)
	if !r.Family.Set && s.fam == FamilyUnknown && s.probes404 >= len(familyProbes) {
		fam = FamilyEWDX
		setFamily(r, fam)
		c.log.Warn("receiver answers neither the EW-DX nor the Digital 6000 tree; watching it as EW-DX")
	}
	if fam == FamilyUnknown || fam == FamilyEWG4 || fam == s.fam {
		if s.fam != FamilyUnknown && !r.Model.Set && s.productSeen && !s.warnedModel {
			if _, has := m.ErrorCode("/device/identity/product"); has {
				// No product name at all: the family's own name stands in,
				// so the receiver registers.
				s.warnedModel = true
				r.Model = device.Some(s.fam.Info().Name)
				c.log.Warn("receiver has no product name; registering it by its family", "family", s.fam.String())
			}
		}
		return
	}
	prev := s.fam
	s.fam = fam
	c.family.Store(int32(fam))
	c.log.Debug("family", "family", fam.String(), "was", prev.String())
	if !r.Model.Set && s.productSeen {
		if _, has := c.productMissing(m); has {
			r.Model = device.Some(fam.Info().Name)
		}
	}
	n := s.count
	if fam == FamilyEM6000 {
		n = fam.Info().Channels
		r.ChannelCount = device.Some(n)
		s.fromProduct = true
	}
	reqs := channelReads(fam, 1, max(n, minChannels))
	if fam == FamilyEWDX && n == 0 {
		reqs = append(reqs, probePaths)
	}
	if err := c.sendReads(ctx, reqs...); err != nil {
		c.log.Debug("reading channels failed; the refresh will retry", "err", err)
	}
	if n > 0 {
		s.count = n
		c.channels.Store(int32(n))
		s.nextRenew = time.Now()
	}
}

// productMissing reports whether m says the product path does not exist.
func (c *Client) productMissing(m *Message) (int, bool) {
	return m.ErrorCode("/device/identity/product")
}

// honourLifetime takes the lifetime the device echoed for a subscription:
// a device may shorten what was asked (the guides show servers adapting
// parameters), and renewing on Micboard's own figure would let the
// subscription lapse between renewals.
func (c *Client) honourLifetime(s *session, m *Message) {
	for _, sub := range m.Subscriptions {
		if sub.Lifetime <= 0 {
			continue
		}
		d := time.Duration(sub.Lifetime) * time.Second
		if d >= s.lifetime {
			continue
		}
		s.lifetime = d
		if !s.subSent.IsZero() {
			s.nextRenew = s.subSent.Add(d * 2 / 3)
		}
		c.log.Debug("device shortened the subscription lifetime", "lifetime", d)
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
	if s.fam == FamilyUnknown {
		return // the family's reads follow once it is known
	}
	if from := max(prev, minChannels) + 1; from <= n {
		if err := c.sendReads(ctx, channelReads(s.fam, from, n)...); err != nil {
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
	c.mu.Lock()
	sets := c.subscribed
	c.subscribed = nil
	c.mu.Unlock()
	if !c.cfg.DisableMeters {
		_ = conn.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		for _, paths := range sets {
			if b, err := EncodeCancel(c.nextXID(), paths...); err == nil {
				_, _ = conn.Write(b)
			}
		}
	}
	if err := conn.Close(); err != nil {
		return fmt.Errorf("sennheiser %s: close: %w", c.addr, err)
	}
	return nil
}
