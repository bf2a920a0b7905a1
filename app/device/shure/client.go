package shure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"micboard/app/device"
)

func init() {
	device.Register(device.VendorShure, func(cfg device.Config) (device.Driver, error) {
		return New(cfg)
	})
}

// linkSlack is added to the meter interval before silence counts as a dead
// link: a busy receiver may delay a sample, a dead one sends nothing at all.
const linkSlack = 5 * time.Second

// readBuffer is one read's worth; a sample is ~40 bytes, a full GET 0 ALL a
// few KiB.
const readBuffer = 32 << 10

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

// Client is a device.Driver for one Shure receiver over TCP.
type Client struct {
	cfg  device.Config
	addr string
	log  *slog.Logger

	mu   sync.Mutex // serialises writes and guards conn
	conn net.Conn

	family    atomic.Uint32 // Family, learned from MODEL; kept across reconnects
	repErrors atomic.Int64
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
	return &Client{
		cfg:  cfg,
		addr: addr,
		log:  cfg.Logger.With("vendor", device.VendorShure, "addr", addr),
	}, nil
}

// Family returns the model family learned so far.
func (c *Client) Family() Family { return Family(c.family.Load()) }

// RepErrors counts `< REP ERR >` answers over the client's life.
func (c *Client) RepErrors() int64 { return c.repErrors.Load() }

// Dial connects (DialTimeout, default 2 s) and sends the opening queries:
// identity, every channel parameter, and the meter rate.
func (c *Client) Dial(ctx context.Context) error {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return fmt.Errorf("shure: dial %s: %w", c.addr, err)
	}
	c.mu.Lock()
	if c.conn != nil {
		c.conn.Close()
	}
	c.conn = conn
	c.mu.Unlock()

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

// Run reads until ctx ends or the link dies. Every TCP read becomes at most
// one Reading (a GET 0 ALL answer arrives as one update, not twenty).
func (c *Client) Run(ctx context.Context, fn func(device.Reading)) error {
	c.mu.Lock()
	conn := c.conn
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
		dec = Decoder{Family: c.Family()}
		buf = make([]byte, readBuffer)

		noise      int // unreadable bytes in the current window
		noiseSince = time.Now()
	)
	for {
		if err := conn.SetReadDeadline(time.Now().Add(c.cfg.LinkTimeout)); err != nil {
			return fmt.Errorf("shure %s: set read deadline: %w", c.addr, err)
		}
		// Checked after setting the deadline: if the context ended just
		// before, AfterFunc's past deadline may have been overwritten.
		if runCtx.Err() != nil {
			return c.stopReason(ctx, runCtx)
		}
		n, err := conn.Read(buf)
		if n > 0 {
			if now := time.Now(); now.Sub(noiseSince) > NoiseWindow {
				noise, noiseSince = 0, now
			}
			if noise += c.handle(buf[:n], &sp, &dec, fn); noise > MaxNoise {
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
			c.log.Warn("link silent, giving up", "timeout", c.cfg.LinkTimeout)
			return fmt.Errorf("shure %s: nothing received for %v: %w", c.addr, c.cfg.LinkTimeout, device.ErrLinkDead)
		}
		return fmt.Errorf("shure %s: read: %w: %w", c.addr, device.ErrLinkDead, err)
	}
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
func (c *Client) handle(p []byte, sp *Splitter, dec *Decoder, fn func(device.Reading)) int {
	r := device.Reading{At: time.Now()}
	dropped := sp.Dropped
	malformed := 0
	sp.Feed(p, func(msg []byte) {
		kind, err := dec.Decode(&r, msg)
		switch {
		case err != nil:
			malformed += len(msg) + 2 // with its '<' and '>'
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
		}
	})
	if dec.Family != c.Family() {
		c.family.Store(uint32(dec.Family))
		c.log.Debug("model family", "family", dec.Family)
	}
	if !r.Empty() {
		fn(r)
	}
	return sp.Dropped - dropped + malformed
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
		if err := c.send(ctx, RefreshQueries(c.Family())...); err != nil {
			if ctx.Err() == nil {
				fail(fmt.Errorf("shure %s: refresh: %w: %w", c.addr, device.ErrLinkDead, err))
			}
			return
		}
	}
}

// RefreshQueries lists the periodic re-queries for a family: the names and
// battery parameters of all channels. Before the family is known it asks for
// the model and everything.
func RefreshQueries(f Family) []string {
	names := []string{Get(NoChannel, "DEVICE_ID"), Get(0, "CHAN_NAME")}
	switch f {
	case FamilyULXD:
		return append(names, Get(0, "BATT_BARS"), Get(0, "BATT_RUN_TIME"), Get(0, "BATT_CHARGE"))
	case FamilyAD:
		return append(names, Get(0, "TX_BATT_BARS"), Get(0, "TX_BATT_MINS"), Get(0, "TX_BATT_CHARGE_PERCENT"))
	case FamilySLXD:
		return append(names, Get(0, "TX_BATT_BARS"), Get(0, "TX_BATT_MINS"))
	}
	return []string{Get(NoChannel, "MODEL"), Get(0, "ALL")}
}

// SetChannelName validates the name for the receiver's family (8 characters
// on ULX-D/QLX-D and before the model is known, 31 on AD/SLX-D) and sends it.
func (c *Client) SetChannelName(ctx context.Context, ch int, name string) error {
	cmd, err := SetChannelName(ch, name, c.Family())
	if err != nil {
		return err
	}
	if err := c.send(ctx, cmd); err != nil {
		return fmt.Errorf("shure %s: set channel %d name: %w", c.addr, ch, err)
	}
	return nil
}

// Close closes the connection; Run then returns.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	if err != nil {
		return fmt.Errorf("shure %s: close: %w", c.addr, err)
	}
	return nil
}
