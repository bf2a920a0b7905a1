package sennheiser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"
	"unicode"

	"micboard/app/device"
)

// G4PushLifetime is how long one Push request asks the receiver to keep
// pushing; the client renews at two thirds of it, so a lost datagram does
// not end the updates (Companion renews a 60 s push every 60 s, which can
// lapse).
const G4PushLifetime = 60 * time.Second

// g4Flags asks for every update group the references use (RFjs sends 7).
const g4Flags = 7

// G4Client is a device.Driver for one ew G4 receiver over UDP 53212. It
// reads replies on its own (connected) socket. Both reference clients bind
// local port 53212 as well, which suggests some firmware answers to that
// port rather than the sender's: unverified on hardware, and noted here
// because a shared listener on 53212 is the fix if a receiver stays silent.
type G4Client struct {
	cfg  device.Config
	addr string
	log  *slog.Logger

	mu   sync.Mutex
	conn net.Conn
}

// NewG4 returns an unconnected ew G4 client; cfg.Port 0 means G4Port.
func NewG4(cfg device.Config) (*G4Client, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("sennheiser g4: %w: empty host", device.ErrInvalidValue)
	}
	cfg = cfg.WithDefaults()
	if cfg.Port == 0 {
		cfg.Port = G4Port
	}
	if cfg.LinkTimeout <= 0 {
		// Pushes arrive at the meter rate; a few missed ones mean the link
		// is gone.
		cfg.LinkTimeout = cfg.MeterRate + 5*time.Second
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	return &G4Client{cfg: cfg, addr: addr, log: cfg.Logger.With("vendor", device.VendorSennheiser, "family", "ewg4", "addr", addr)}, nil
}

// Dial opens the socket and asks for the configuration (and, unless meters
// are disabled, for pushed updates).
func (c *G4Client) Dial(ctx context.Context) error {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "udp", c.addr)
	if err != nil {
		return fmt.Errorf("sennheiser g4: dial %s: %w", c.addr, err)
	}
	c.mu.Lock()
	if c.conn != nil {
		c.conn.Close()
	}
	c.conn = conn
	c.mu.Unlock()
	if err := c.ask(ctx); err != nil {
		return fmt.Errorf("sennheiser g4: opening requests to %s: %w", c.addr, err)
	}
	return nil
}

// ask sends the configuration request and the explicit queries.
func (c *G4Client) ask(ctx context.Context) error {
	msgs := [][]byte{EncodeG4Push(0, 0, 1), EncodeG4("Name"), EncodeG4("Frequency")}
	if !c.cfg.DisableMeters {
		msgs = append(msgs, c.push())
	}
	for _, m := range msgs {
		if err := c.send(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (c *G4Client) push() []byte {
	return EncodeG4Push(int(G4PushLifetime/time.Second), int(c.cfg.MeterRate/time.Millisecond), g4Flags)
}

func (c *G4Client) send(ctx context.Context, b []byte) error {
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

// Run reads pushed lines until ctx ends or nothing arrives for LinkTimeout.
// The receiver has no product query, so the first update carries the
// family's model name and channel count: a G4 is registered by what it
// does.
func (c *G4Client) Run(ctx context.Context, fn func(device.Reading)) error {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return device.ErrNotConnected
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	now := time.Now()
	lastHeard := now
	nextPush := now.Add(G4PushLifetime * 2 / 3)
	nextRefresh := now.Add(c.cfg.RefreshInterval)
	config, identified, loggedJunk := -1, false, false
	buf := make([]byte, MaxDatagram)
	for {
		now = time.Now()
		if now.Sub(lastHeard) >= c.cfg.LinkTimeout {
			c.log.Warn("receiver silent, offline", "timeout", c.cfg.LinkTimeout)
			return fmt.Errorf("sennheiser g4 %s: silent for %v: %w", c.addr, c.cfg.LinkTimeout, device.ErrLinkDead)
		}
		if !c.cfg.DisableMeters && !now.Before(nextPush) {
			if err := c.send(ctx, c.push()); err != nil {
				return c.sendErr(ctx, "renew push", err)
			}
			nextPush = now.Add(G4PushLifetime * 2 / 3)
		}
		if !now.Before(nextRefresh) {
			if err := c.ask(ctx); err != nil {
				return c.sendErr(ctx, "refresh", err)
			}
			nextRefresh = now.Add(c.cfg.RefreshInterval)
		}
		wake := earlier(earlier(lastHeard.Add(c.cfg.LinkTimeout), nextRefresh), nextPush)
		if err := conn.SetReadDeadline(wake); err != nil {
			return fmt.Errorf("sennheiser g4 %s: set read deadline: %w", c.addr, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n, err := conn.Read(buf)
		if n > 0 {
			lastHeard = time.Now()
			lines, dropped := DecodeG4(buf[:n])
			if dropped > 0 && !loggedJunk {
				loggedJunk = true
				c.log.Warn("receiver sent lines Micboard does not read; ignoring them", "dropped", dropped)
			}
			r := device.Reading{At: lastHeard}
			changed, cfgN, hasCfg := ApplyG4(&r, lines)
			if hasCfg && cfgN != config {
				// The configuration changed on the device: read it again,
				// as the Companion module does.
				config = cfgN
				if err := c.send(ctx, EncodeG4("Name")); err == nil {
					_ = c.send(ctx, EncodeG4("Frequency"))
				}
			}
			if changed && !identified {
				identified = true
				fi := FamilyEWG4.Info()
				r.Model = device.Some(fi.Products[0].Model)
				r.ChannelCount = device.Some(fi.Channels)
			}
			if changed {
				fn(r)
			}
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue
		}
		return fmt.Errorf("sennheiser g4 %s: read: %w: %w", c.addr, device.ErrLinkDead, err)
	}
}

func (c *G4Client) sendErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("sennheiser g4 %s: %s: %w: %w", c.addr, what, device.ErrLinkDead, err)
}

// SetChannelName sends `Name <name>`; the G4 stores at most 8 characters
// without spaces' ambiguity, so longer names are refused here.
func (c *G4Client) SetChannelName(ctx context.Context, ch int, name string) error {
	if ch != 1 {
		return fmt.Errorf("%w: channel %d of 1", device.ErrInvalidValue, ch)
	}
	if len(name) > G4MaxName {
		return fmt.Errorf("%w: %q is longer than %d", device.ErrNameTooLong, name, G4MaxName)
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == unicode.ReplacementChar || r > unicode.MaxASCII {
			return fmt.Errorf("%w: %q", device.ErrInvalidName, name)
		}
	}
	if err := c.send(ctx, EncodeG4("Name", name)); err != nil {
		return fmt.Errorf("sennheiser g4 %s: set name: %w", c.addr, err)
	}
	return nil
}

// Close stops the pushes (best effort: they end by their own timeout
// anyway) and closes the socket.
func (c *G4Client) Close() error {
	c.mu.Lock()
	conn := c.conn
	c.conn = nil
	c.mu.Unlock()
	if conn == nil {
		return nil
	}
	if !c.cfg.DisableMeters {
		_ = conn.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		_, _ = conn.Write(EncodeG4Push(0, 0, 0))
	}
	if err := conn.Close(); err != nil {
		return fmt.Errorf("sennheiser g4 %s: close: %w", c.addr, err)
	}
	return nil
}
