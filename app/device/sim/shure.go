package sim

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"micboard/app/device/shure"
)

// Client queue and I/O bounds. A client that cannot keep up with 512 queued
// messages is disconnected rather than silently fed a gappy stream.
const (
	clientQueue  = 512
	writeTimeout = 5 * time.Second
)

// shureServer serves Shure command strings on one TCP listener.
type shureServer struct {
	r        *Receiver
	ln       net.Listener
	gen      int // bumps on every listen so stale accepts are refused
	conns    map[*shureClient]struct{}
	rendered map[string]string // last pushed value per "ch PARAM" / device PARAM
	wg       sync.WaitGroup
}

// shureClient is one TCP connection with its own meter subscriptions.
type shureClient struct {
	conn     net.Conn
	out      chan []byte
	meters   []*meterGroup
	rates    map[int]int // channel -> METER_RATE in ms
	peakSeen []uint64    // clipSeq last reported per channel
	closed   bool
}

func newShureServer(r *Receiver) *shureServer {
	s := &shureServer{r: r, conns: map[*shureClient]struct{}{}, rendered: map[string]string{}}
	s.render(func(key, val string) { s.rendered[key] = val })
	return s
}

func (s *shureServer) listen() error {
	if s.ln != nil {
		return nil // kept through a drop
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(s.r.host, strconv.Itoa(s.r.port)))
	if err != nil {
		return err // already names the address; callers add the model
	}
	s.r.port = ln.Addr().(*net.TCPAddr).Port
	s.ln = ln
	s.gen++
	s.wg.Add(1)
	go s.accept(ln, s.gen)
	return nil
}

func (s *shureServer) accept(ln net.Listener, gen int) {
	defer s.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient (e.g. out of file descriptors): back off, keep serving.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		r := s.r
		r.mu.Lock()
		if r.stopped || r.dropped || gen != s.gen || len(s.conns) >= r.maxClients {
			// Real receivers serve only a handful of clients; extra ones are
			// cut. A dropped receiver resets the connection at once, which a
			// client sees as it sees a refusal.
			if tc, ok := conn.(*net.TCPConn); ok && r.dropped {
				_ = tc.SetLinger(0)
			}
			r.mu.Unlock()
			conn.Close()
			continue
		}
		c := &shureClient{
			conn:     conn,
			out:      make(chan []byte, clientQueue),
			rates:    map[int]int{},
			peakSeen: make([]uint64, len(r.ch)),
		}
		for i, ch := range r.ch {
			c.peakSeen[i] = ch.clipSeq
		}
		s.conns[c] = struct{}{}
		s.wg.Add(2)
		r.mu.Unlock()
		go s.read(c)
		go s.write(c)
	}
}

func (s *shureServer) read(c *shureClient) {
	defer s.wg.Done()
	var sp shure.Splitter
	buf := make([]byte, 4096)
	for {
		n, err := c.conn.Read(buf)
		if n > 0 {
			sp.Feed(buf[:n], func(msg []byte) { s.handle(c, string(msg)) })
		}
		if err != nil {
			break
		}
	}
	s.r.mu.Lock()
	s.drop(c)
	s.r.mu.Unlock()
}

// write batches whatever is queued into one TCP write, which also gives
// clients the several-messages-per-read streams real receivers produce.
func (s *shureServer) write(c *shureClient) {
	defer s.wg.Done()
	var batch []byte
	for p := range c.out {
		batch = append(batch[:0], p...)
	more:
		for len(batch) < 16<<10 {
			select {
			case q, ok := <-c.out:
				if !ok {
					break more
				}
				batch = append(batch, q...)
			default:
				break more
			}
		}
		_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := c.conn.Write(batch); err != nil {
			c.conn.Close()
			for range c.out {
				// Drain until the reader side closes the queue.
			}
			return
		}
	}
}

// drop unregisters c and closes its connection. r.mu held.
func (s *shureServer) drop(c *shureClient) {
	if c.closed {
		return
	}
	c.closed = true
	delete(s.conns, c)
	for _, g := range c.meters {
		g.active = false
		g.tk.Stop()
	}
	close(c.out)
	c.conn.Close()
}

// send queues one message for c. r.mu held.
func (s *shureServer) send(c *shureClient, msg string) {
	if c.closed || s.r.stalled {
		return
	}
	if s.r.spec.fam == famP10T && strings.HasPrefix(msg, "REP ") && msg != "REP ERR" {
		// PSM1000 reports with REPORT where the receivers say REP.
		msg = "REPORT " + msg[len("REP "):]
	}
	select {
	case c.out <- []byte("< " + msg + " >"):
	default:
		s.r.log.Warn("simulated receiver dropping slow client", "client", c.conn.RemoteAddr())
		s.drop(c)
	}
}

func (s *shureServer) closeAll() {
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		s.drop(c)
	}
}

// dropClients cuts every client but keeps the port: were it closed during a
// drop, any outgoing connection on the machine could take the number and
// the receiver could not come back on it.
func (s *shureServer) dropClients() {
	for c := range s.conns {
		s.drop(c)
	}
}

func (s *shureServer) clients() int { return len(s.conns) }

func (s *shureServer) wait() { s.wg.Wait() }

func (s *shureServer) garbage(p []byte) {
	for c := range s.conns {
		select {
		case c.out <- append([]byte(nil), p...):
		default:
		}
	}
}

// render calls fn for every shared value (device and channel parameters).
func (s *shureServer) render(fn func(key, val string)) {
	r := s.r
	for _, p := range deviceParams(r.spec.fam) {
		fn(p.name, p.get(r))
	}
	for i, c := range r.ch {
		for _, p := range shureParams[r.spec.fam] {
			fn(strconv.Itoa(i+1)+" "+p.name, p.get(r, c))
		}
	}
}

func (s *shureServer) publish() { s.publishExcept(nil) }

// publishExcept pushes an unprompted REP to every client (but skip) for each
// value that changed since the last push. r.mu held.
func (s *shureServer) publishExcept(skip *shureClient) {
	s.render(func(key, val string) {
		if s.rendered[key] == val {
			return
		}
		s.rendered[key] = val
		for c := range s.conns {
			if c != skip {
				s.send(c, "REP "+key+" "+val)
			}
		}
	})
}

func (s *shureServer) handle(c *shureClient, msg string) {
	r := s.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.closed || r.stalled {
		// A hung receiver neither answers nor acts on commands.
		return
	}
	if !s.exec(c, tokenize(msg)) {
		s.send(c, "REP ERR")
	}
}

// exec runs one command; false means `< REP ERR >`. r.mu held.
func (s *shureServer) exec(c *shureClient, toks []string) bool {
	r := s.r
	if len(toks) < 2 {
		return false
	}
	cmd := strings.ToUpper(toks[0])
	if cmd != "GET" && cmd != "SET" {
		return false
	}
	if cmd == "GET" && len(toks) == 2 && silentParam(r.spec.fam, strings.ToUpper(toks[1])) {
		return true
	}
	// Device-level parameters take no channel index.
	if dp, ok := findDeviceParam(r.spec.fam, strings.ToUpper(toks[1])); ok {
		switch {
		case cmd == "GET" && len(toks) == 2:
		case cmd == "SET" && len(toks) == 3 && dp.set != nil:
			if !dp.set(r, toks[2]) {
				return false
			}
			s.publishExcept(c)
		default:
			return false
		}
		s.send(c, "REP "+dp.name+" "+dp.get(r))
		return true
	}
	if len(toks) < 3 {
		return false
	}
	idx, ok := parseDigits(toks[1], 2)
	if !ok || idx > len(r.ch) {
		return false
	}
	targets := []int{idx}
	if idx == 0 {
		targets = targets[:0]
		for i := range r.ch {
			targets = append(targets, i+1)
		}
	}
	param := strings.ToUpper(toks[2])
	if cmd == "GET" {
		if len(toks) != 3 {
			return false
		}
		return s.get(c, targets, param)
	}
	if len(toks) != 4 {
		return false
	}
	return s.set(c, targets, param, toks[3])
}

func (s *shureServer) get(c *shureClient, targets []int, param string) bool {
	r := s.r
	switch param {
	case "ALL":
		switch r.spec.fam {
		case famP10T:
			return false
		case famSLXPlus:
			if len(targets) > 1 {
				// GET 0 ALL: REP ERR, and metering starts
				// (docs/SLXDplus-protocol.md, firmware 2.0.38.9).
				if c.rates[1] == 0 {
					s.setMeters(c, targets, 1000)
				}
				return false
			}
			for _, p := range deviceParams(r.spec.fam) {
				s.send(c, "REP "+p.name+" "+p.get(r))
			}
			ch := targets[0]
			for _, p := range shureParams[r.spec.fam] {
				if !r.ch[ch-1].txOn && !slxPlusEmpty[p.name] {
					continue
				}
				s.send(c, fmt.Sprintf("REP %d %s %s", ch, p.name, p.get(r, r.ch[ch-1])))
			}
			return true
		}
		for _, ch := range targets {
			for _, p := range shureParams[r.spec.fam] {
				s.send(c, fmt.Sprintf("REP %d %s %s", ch, p.name, p.get(r, r.ch[ch-1])))
			}
			if r.spec.fam != famUnlisted {
				s.send(c, fmt.Sprintf("REP %d METER_RATE %s", ch, d5(c.rates[ch])))
			}
		}
		return true
	case "METER_RATE":
		if r.spec.fam == famUnlisted {
			return false // it does not meter
		}
		for _, ch := range targets {
			s.send(c, fmt.Sprintf("REP %d METER_RATE %s", ch, d5(c.rates[ch])))
		}
		return true
	}
	p, ok := findParam(r.spec.fam, param)
	if !ok {
		return false
	}
	for _, ch := range targets {
		s.send(c, fmt.Sprintf("REP %d %s %s", ch, p.name, p.get(r, r.ch[ch-1])))
	}
	return true
}

func (s *shureServer) set(c *shureClient, targets []int, param, val string) bool {
	r := s.r
	if param == "METER_RATE" {
		if r.spec.fam == famUnlisted {
			return false // it does not meter
		}
		rate, ok := parseDigits(val, 5)
		if !ok || (rate != 0 && rate < minMeterRate) || rate > maxMeterRate {
			return false
		}
		s.setMeters(c, targets, rate)
		for _, ch := range targets {
			s.send(c, fmt.Sprintf("REP %d METER_RATE %s", ch, d5(rate)))
		}
		return true
	}
	p, ok := findParam(r.spec.fam, param)
	if !ok || p.set == nil {
		return false
	}
	// The value check does not depend on the channel, so a bad value fails on
	// the first target before anything changed.
	for _, ch := range targets {
		if !p.set(r, r.ch[ch-1], val) {
			return false
		}
	}
	s.publishExcept(c)
	for _, ch := range targets {
		s.send(c, fmt.Sprintf("REP %d %s %s", ch, p.name, p.get(r, r.ch[ch-1])))
	}
	return true
}

// meterGroup sends samples for some channels of one client at one rate, in
// channel order, the way a receiver answers `SET 0 METER_RATE` with one burst
// per interval.
type meterGroup struct {
	chs    []int
	tk     *ticker
	active bool
}

// setMeters moves targets to a new rate for c (0 stops them). r.mu held.
func (s *shureServer) setMeters(c *shureClient, targets []int, rate int) {
	kept := c.meters[:0]
	for _, g := range c.meters {
		g.chs = slices.DeleteFunc(g.chs, func(ch int) bool { return slices.Contains(targets, ch) })
		if len(g.chs) == 0 {
			g.active = false
			g.tk.Stop()
			continue
		}
		kept = append(kept, g)
	}
	c.meters = kept
	for _, ch := range targets {
		c.rates[ch] = rate
	}
	if rate == 0 {
		return
	}
	r := s.r
	g := &meterGroup{chs: slices.Clone(targets), active: true}
	g.tk = startTicker(r.clock, time.Duration(rate)*time.Millisecond, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		// A tick already in flight when the rate changed must not send.
		if c.closed || r.stalled || !g.active {
			return
		}
		for _, ch := range g.chs {
			chn := r.ch[ch-1]
			peak := chn.txOn && c.peakSeen[ch-1] != chn.clipSeq
			c.peakSeen[ch-1] = chn.clipSeq
			if r.spec.fam == famP10T {
				// PSM1000 meters its audio inputs as REPORTs, not SAMPLEs
				// (micboard py/iem.py reads AUDIO_IN_LVL_L/_R).
				lvl := p10tLevel(r.sampled(chn))
				s.send(c, fmt.Sprintf("REP %d AUDIO_IN_LVL_L %07d", ch, lvl))
				s.send(c, fmt.Sprintf("REP %d AUDIO_IN_LVL_R %07d", ch, lvl))
				continue
			}
			s.send(c, fmt.Sprintf("SAMPLE %d ALL %s", ch, shureSample(r.spec.fam, r.sampled(chn), peak)))
		}
	})
	c.meters = append(c.meters, g)
}
