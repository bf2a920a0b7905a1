package sim

import (
	"errors"
	"fmt"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// g4Server plays an ew G4 EM 300-500 receiver: text lines ended by CR over
// UDP. `Push <timeout s> <interval ms> <flags>` starts pushed updates to
// the sender for timeout seconds (timeout 0: the configuration once, as
// RFjs asks with "Push 0 0 1"); `Name`, `Frequency` are answered, `Name X`
// renames. Lines it does not know are ignored, as the references imply
// (neither reads an error reply).
type g4Server struct {
	r      *Receiver
	conn   *net.UDPConn
	peers  map[string]*g4Peer
	config int // bumps when the name or frequency changes ("Config n")
	seen   string
	wg     sync.WaitGroup
}

type g4Peer struct {
	addr    *net.UDPAddr
	last    time.Time
	until   time.Time
	tk      *ticker
	clipSeq uint64
}

func newG4Server(r *Receiver) *g4Server {
	return &g4Server{r: r, peers: map[string]*g4Peer{}, config: 1}
}

func (s *g4Server) listen() error {
	addr, err := net.ResolveUDPAddr("udp", net.JoinHostPort(s.r.host, strconv.Itoa(s.r.port)))
	if err != nil {
		return fmt.Errorf("resolve udp: %w", err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return err // already names the address; callers add the model
	}
	s.r.port = conn.LocalAddr().(*net.UDPAddr).Port
	s.conn = conn
	s.seen = s.configKey()
	s.wg.Add(1)
	go s.read(conn)
	return nil
}

func (s *g4Server) read(conn *net.UDPConn) {
	defer s.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, addr, err := conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.r.mu.Lock()
		if conn == s.conn && !s.r.stalled {
			for _, line := range strings.FieldsFunc(string(buf[:n]), func(r rune) bool { return r == '\r' || r == '\n' }) {
				s.handle(addr, strings.Fields(line))
			}
		}
		s.r.mu.Unlock()
	}
}

func (s *g4Server) closeAll() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	for _, p := range s.peers {
		p.tk.Stop()
	}
	clear(s.peers)
}

func (s *g4Server) wait() { s.wg.Wait() }

func (s *g4Server) recent() []*g4Peer {
	now := s.r.clock.Now()
	keys := make([]string, 0, len(s.peers))
	for k := range s.peers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*g4Peer
	for _, k := range keys {
		if p := s.peers[k]; now.Sub(p.last) < time.Minute || now.Before(p.until) {
			out = append(out, p)
		}
	}
	return out
}

func (s *g4Server) clients() int { return len(s.recent()) }

func (s *g4Server) garbage(p []byte) {
	for _, peer := range s.recent() {
		s.sendRaw(peer.addr, p)
	}
}

func (s *g4Server) sendRaw(addr *net.UDPAddr, p []byte) {
	if s.conn == nil || s.r.stalled {
		return
	}
	if _, err := s.conn.WriteToUDP(p, addr); err != nil {
		s.r.log.Debug("g4 send failed", "to", addr, "err", err)
	}
}

func (s *g4Server) send(addr *net.UDPAddr, lines ...string) {
	s.sendRaw(addr, []byte(strings.Join(lines, "\r")+"\r"))
}

func (s *g4Server) configKey() string {
	c := s.r.ch[0]
	return c.name + "|" + strconv.Itoa(c.freq)
}

// publish bumps the configuration counter when the name or frequency
// changed, so pushing clients re-read them. r.mu held.
func (s *g4Server) publish() {
	if k := s.configKey(); k != s.seen {
		s.seen = k
		s.config++
	}
}

func (s *g4Server) configLines() []string {
	c := s.r.ch[0]
	return []string{"Name " + c.name, fmt.Sprintf("Frequency %d", c.freq), "Squelch 5", "AfOut 0", fmt.Sprintf("Config %d", s.config)}
}

// g4Percent maps dBm onto the receiver's 0-100 % RF meter (-100..-40 dBm).
func g4Percent(dBm float64) int { return clampInt(int(math.Round((dBm+100)*100/60)), 0, 100) }

// meterLines renders one push. r.mu held.
func (s *g4Server) meterLines(p *g4Peer) []string {
	r := s.r
	c := r.sampled(r.ch[0])
	on := c.txOn
	bit := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	rfA, rfB := 0, 0
	if on {
		rfA, rfB = g4Percent(c.rfA), g4Percent(c.rfB)
	}
	ant := 1
	if rfB > rfA {
		ant = 2
	}
	peak := on && r.clock.Now().Before(c.clipEnd)
	af := 0
	if on {
		af = clampInt(int(math.Round((c.audio+50)*2)), 0, 100)
	}
	if peak {
		af = 100
	}
	mute := bit(!on || c.mute) | bit(!on)<<2
	bat := "?"
	msg := "OK"
	switch {
	case !on:
		msg = "RF_Mute"
	case peak:
		msg = "AF_Peak"
	case c.percent() <= 10:
		msg = "Low_Batt"
	}
	if on {
		bat = strconv.Itoa(c.percent())
	}
	return []string{
		fmt.Sprintf("RF1 %d %d %d", rfA, rfA, bit(ant == 1 && on)),
		fmt.Sprintf("RF2 %d %d %d", rfB, rfB, bit(ant == 2 && on)),
		fmt.Sprintf("RF %d %d %d", max(rfA, rfB), ant, bit(on)),
		fmt.Sprintf("AF %d %d %d", af, af, mute),
		fmt.Sprintf("States %d %d", mute, bit(on)),
		"Bat " + bat,
		"Msg " + msg,
		fmt.Sprintf("Config %d", s.config),
	}
}

// handle runs one line from addr. r.mu held.
func (s *g4Server) handle(addr *net.UDPAddr, toks []string) {
	if len(toks) == 0 {
		return
	}
	r := s.r
	key := addr.String()
	peer := s.peers[key]
	if peer == nil {
		peer = &g4Peer{addr: addr}
		s.peers[key] = peer
	}
	peer.last = r.clock.Now()
	c := r.ch[0]
	switch strings.ToLower(toks[0]) {
	case "push":
		if len(toks) < 4 {
			return
		}
		timeout, err1 := strconv.Atoi(toks[1])
		interval, err2 := strconv.Atoi(toks[2])
		if err1 != nil || err2 != nil || timeout < 0 || interval < 0 {
			return
		}
		s.send(addr, s.configLines()...)
		peer.tk.Stop()
		peer.tk = nil
		if timeout == 0 {
			return
		}
		peer.until = r.clock.Now().Add(time.Duration(timeout) * time.Second)
		d := max(50*time.Millisecond, time.Duration(interval)*time.Millisecond)
		peer.tk = startTicker(r.clock, d, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if s.conn == nil || !r.clock.Now().Before(peer.until) {
				peer.tk.Stop()
				return
			}
			s.send(peer.addr, s.meterLines(peer)...)
		})
		s.send(addr, s.meterLines(peer)...)
	case "name":
		if len(toks) > 1 {
			name := strings.Join(toks[1:], " ")
			if validName(name, r.spec.nameMax) == nil {
				c.name = name
				s.publish()
			}
		}
		s.send(addr, "Name "+c.name)
	case "frequency":
		s.send(addr, fmt.Sprintf("Frequency %d", c.freq))
	}
}
