package sennheiser

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"micboard/app/device"
)

// probeXID marks probes in a device's logs.
var probeXID atomic.Int64

// probeBuffer holds a reply to a probe with room to spare; a longer
// datagram is not a reply to it.
const probeBuffer = 8 << 10

// DefaultProbeTimeout bounds a probe when the caller gives none.
const DefaultProbeTimeout = 700 * time.Millisecond

// Probe reports whether something at host:port answers as a Sennheiser
// receiver does: an SSC reply to a /device/name read, or ew G4 lines to a
// Name query. Discovery calls it before asking the device what it is.
func Probe(ctx context.Context, host string, port int, timeout time.Duration) bool {
	return detect(ctx, host, port, timeout) != ""
}

// detect asks host:port both ways at once and returns the transport that
// answered: TransportSSC, TransportMCP (ew G4), or "" when neither did. SSC
// wins when both answer: it says more about the device.
func detect(ctx context.Context, host string, port int, timeout time.Duration) string {
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sscC, g4C := make(chan bool, 1), make(chan bool, 1)
	go func() { sscC <- probeUDP(pctx, addr, timeout, sscProbe, isSSCReply) }()
	go func() { g4C <- probeUDP(pctx, addr, timeout, g4Probe, isG4Reply) }()
	var sscDone, g4Done, g4 bool
	for !sscDone || !g4Done {
		select {
		case ok := <-sscC:
			if ok {
				return TransportSSC
			}
			sscDone = true
		case ok := <-g4C:
			g4, g4Done = ok, true
			if ok && !sscDone {
				// An ew G4 does not speak JSON: give SSC a moment to
				// answer too, not the whole timeout.
				select {
				case ok := <-sscC:
					if ok {
						return TransportSSC
					}
				case <-time.After(g4Grace):
				}
				return TransportMCP
			}
		}
	}
	if g4 {
		return TransportMCP
	}
	return ""
}

// g4Grace is how long an SSC answer may trail an ew G4 answer.
const g4Grace = 200 * time.Millisecond

func sscProbe() ([]byte, error) { return EncodeRead(probeXID.Add(1), "/device/name") }

func g4Probe() ([]byte, error) { return EncodeG4("Name"), nil }

// isSSCReply accepts an SSC answer: a value, an error or an echoed xid.
func isSSCReply(b []byte) bool {
	m, err := Decode(b)
	return err == nil && (len(m.Leaves) > 0 || len(m.Errors) > 0 || m.HasXID)
}

// g4Keys are the keywords an ew G4 sends (TI 1254 as lclbo/RFjs and the
// Companion module read it); a reply must hold at least one of them.
var g4Keys = map[string]bool{"NAME": true, "FREQUENCY": true, "RF": true, "RF1": true, "RF2": true, "AF": true,
	"BAT": true, "MSG": true, "CONFIG": true, "STATES": true, "SQUELCH": true, "AFOUT": true, "MUTE": true}

// isG4Reply accepts a datagram of ew G4 lines: not JSON, and at least one
// line with a keyword of the protocol.
func isG4Reply(b []byte) bool {
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "{") {
		return false
	}
	lines, _ := DecodeG4(b)
	for _, l := range lines {
		if g4Keys[strings.ToUpper(l.Key)] {
			return true
		}
	}
	return false
}

// probeUDP sends one request to addr and reports whether a datagram that
// ok accepts comes back within timeout.
func probeUDP(ctx context.Context, addr string, timeout time.Duration, req func() ([]byte, error), ok func([]byte) bool) bool {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(pctx, "udp", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	deadline, _ := pctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return false
	}
	stop := context.AfterFunc(pctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	msg, err := req()
	if err != nil {
		return false
	}
	if _, err := conn.Write(msg); err != nil {
		return false
	}
	buf := make([]byte, probeBuffer)
	for {
		// A peer without a listener answers with ICMP port unreachable,
		// which ends this read at once with an error.
		n, err := conn.Read(buf)
		if err != nil {
			return false
		}
		if ok(buf[:n]) {
			return true
		}
	}
}

// autoClient is the driver of a receiver added by address alone on a port
// that is not a family's own: Dial asks the device both ways and then
// drives it with the client of whichever protocol answered (SSC, or the ew
// G4 text protocol). A device that answers neither is driven over SSC, the
// default, and the choice is logged.
type autoClient struct {
	cfg device.Config

	mu  sync.Mutex
	drv device.Driver
}

func (a *autoClient) Dial(ctx context.Context) error {
	timeout := a.cfg.WithDefaults().DialTimeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d)
	}
	log := a.cfg.WithDefaults().Logger.With("vendor", device.VendorSennheiser, "addr", net.JoinHostPort(a.cfg.Host, strconv.Itoa(a.cfg.Port)))
	var (
		drv device.Driver
		err error
	)
	switch detect(ctx, a.cfg.Host, a.cfg.Port, timeout) {
	case TransportMCP:
		log.Info("the receiver answered as an ew G4")
		drv, err = NewG4(a.cfg)
	case TransportSSC:
		drv, err = New(a.cfg)
	default:
		log.Warn("the receiver answered neither SSC nor ew G4 probes; trying SSC")
		drv, err = New(a.cfg)
	}
	if err != nil {
		return fmt.Errorf("sennheiser: %w", err)
	}
	a.mu.Lock()
	if a.drv != nil {
		_ = a.drv.Close()
	}
	a.drv = drv
	a.mu.Unlock()
	return drv.Dial(ctx)
}

func (a *autoClient) current() device.Driver {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.drv
}

func (a *autoClient) Run(ctx context.Context, fn func(device.Reading)) error {
	d := a.current()
	if d == nil {
		return device.ErrNotConnected
	}
	return d.Run(ctx, fn)
}

func (a *autoClient) SetChannelName(ctx context.Context, ch int, name string) error {
	d := a.current()
	if d == nil {
		return device.ErrNotConnected
	}
	return d.SetChannelName(ctx, ch, name)
}

func (a *autoClient) Close() error {
	d := a.current()
	if d == nil {
		return nil
	}
	return d.Close()
}
