package sim

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"micboard/app/device/shure"
)

var epoch = time.Date(2025, 6, 1, 19, 0, 0, 0, time.UTC)

// startTest starts one receiver with a manual clock and stops it at cleanup.
func startTest(t *testing.T, cfg ReceiverConfig) (*Receiver, *ManualClock) {
	t.Helper()
	clk := NewManualClock(epoch)
	if cfg.Clock == nil {
		cfg.Clock = clk
	}
	if cfg.Name == "" {
		cfg.Name = "Rack A"
	}
	r, err := StartReceiver(cfg)
	if err != nil {
		t.Fatalf("StartReceiver(%s): %v", cfg.Model, err)
	}
	t.Cleanup(func() { _ = r.Stop() })
	return r, clk
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// shureConn is a raw test client for the Shure protocol.
type shureConn struct {
	t    *testing.T
	conn net.Conn
	sp   shure.Splitter
	msgs []string
}

func dialShure(t *testing.T, addr string) *shureConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &shureConn{t: t, conn: conn}
}

func (c *shureConn) send(raw string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(raw)); err != nil {
		c.t.Fatalf("write %q: %v", raw, err)
	}
}

// readExact reads exactly len(want) bytes and compares them byte for byte.
func (c *shureConn) readExact(want string) {
	c.t.Helper()
	buf := make([]byte, len(want))
	_ = c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := io.ReadFull(c.conn, buf)
	if err != nil {
		c.t.Fatalf("read %d bytes (got %q): %v\nwant %q", len(want), buf[:n], err, want)
	}
	if string(buf) != want {
		c.t.Fatalf("got  %q\nwant %q", buf, want)
	}
}

// next returns the next framed message (text between '<' and '>').
func (c *shureConn) next(timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 4096)
	for len(c.msgs) == 0 {
		_ = c.conn.SetReadDeadline(deadline)
		n, err := c.conn.Read(buf)
		c.sp.Feed(buf[:n], func(m []byte) { c.msgs = append(c.msgs, string(m)) })
		if err != nil && len(c.msgs) == 0 {
			return "", err
		}
	}
	m := c.msgs[0]
	c.msgs = c.msgs[1:]
	return m, nil
}

// expect reads until a message equal to want arrives.
func (c *shureConn) expect(want string) {
	c.t.Helper()
	var seen []string
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		m, err := c.next(time.Until(deadline))
		if err != nil {
			break
		}
		if m == want {
			return
		}
		seen = append(seen, m)
	}
	c.t.Fatalf("did not receive %q; saw %q", want, seen)
}

// quiet asserts nothing arrives for d.
func (c *shureConn) quiet(d time.Duration) {
	c.t.Helper()
	m, err := c.next(d)
	if err == nil {
		c.t.Fatalf("expected silence, got %q", m)
	}
	if !isTimeout(err) {
		c.t.Fatalf("expected silence, got error %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// sscConn is a UDP test client for SSC.
type sscConn struct {
	t    *testing.T
	conn *net.UDPConn
}

func dialSSC(t *testing.T, addr string) *sscConn {
	t.Helper()
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		t.Fatalf("dial udp %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &sscConn{t: t, conn: conn}
}

func (c *sscConn) send(msg string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(msg)); err != nil {
		c.t.Fatalf("send %s: %v", msg, err)
	}
}

func (c *sscConn) recv(timeout time.Duration) (string, error) {
	buf := make([]byte, 65536)
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	n, err := c.conn.Read(buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// expect receives one datagram and compares it byte for byte.
func (c *sscConn) expect(want string) {
	c.t.Helper()
	got, err := c.recv(2 * time.Second)
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", want, err)
	}
	if got != want {
		c.t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// roundTrip sends req and expects exactly want back.
func (c *sscConn) roundTrip(req, want string) {
	c.t.Helper()
	c.send(req)
	c.expect(want)
}

func (c *sscConn) quiet(d time.Duration) {
	c.t.Helper()
	got, err := c.recv(d)
	if err == nil {
		c.t.Fatalf("expected silence, got %s", got)
	}
}

func hasNewline(s string) bool { return strings.ContainsAny(s, "\r\n") }
