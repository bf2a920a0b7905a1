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

	"micboard/app/device/shure"
)

// uhfrServer plays a UHF-R receiver (UR4S/UR4D): UDP on the control port,
// `* GET n PARAM *` answered by `* REPORT n PARAM value *` to the sender,
// `* METER n ALL nnn *` (units of 30 ms) pushing `* SAMPLE n ALL ... *`,
// `* METER n ALL STOP *` stopping it. A UR4S does not answer for receiver 2.
type uhfrServer struct {
	r        *Receiver
	conn     *net.UDPConn
	peers    map[string]*uhfrPeer
	rendered map[string]string
	wg       sync.WaitGroup
}

type uhfrPeer struct {
	addr   *net.UDPAddr
	last   time.Time
	meters map[int]*ticker
}

func newUHFRServer(r *Receiver) *uhfrServer {
	s := &uhfrServer{r: r, peers: map[string]*uhfrPeer{}, rendered: map[string]string{}}
	s.render(func(key, val string) { s.rendered[key] = val })
	return s
}

func (s *uhfrServer) listen() error {
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
	s.wg.Add(1)
	go s.read(conn)
	return nil
}

func (s *uhfrServer) read(conn *net.UDPConn) {
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
		var msgs []string
		shure.SplitStars(buf[:n], func(m []byte) { msgs = append(msgs, string(m)) })
		s.r.mu.Lock()
		if !s.r.stalled && s.conn == conn {
			for _, m := range msgs {
				s.handle(addr, strings.Fields(m))
			}
		}
		s.r.mu.Unlock()
	}
}

func (s *uhfrServer) closeAll() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	for _, p := range s.peers {
		for _, tk := range p.meters {
			tk.Stop()
		}
	}
	clear(s.peers)
}

func (s *uhfrServer) wait() { s.wg.Wait() }

func (s *uhfrServer) recent() []*uhfrPeer {
	now := s.r.clock.Now()
	keys := make([]string, 0, len(s.peers))
	for k, p := range s.peers {
		if now.Sub(p.last) < sscPeerWindow || len(p.meters) > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]*uhfrPeer, 0, len(keys))
	for _, k := range keys {
		out = append(out, s.peers[k])
	}
	return out
}

func (s *uhfrServer) clients() int { return len(s.recent()) }

func (s *uhfrServer) garbage(p []byte) {
	for _, peer := range s.recent() {
		s.sendRaw(peer.addr, p)
	}
}

func (s *uhfrServer) sendRaw(addr *net.UDPAddr, p []byte) {
	if s.conn == nil || s.r.stalled {
		return
	}
	if _, err := s.conn.WriteToUDP(p, addr); err != nil {
		s.r.log.Debug("uhf-r send failed", "to", addr, "err", err)
	}
}

// uhfrParams are a receiver's parameters, in the order the original
// micboard asks for them.
var uhfrParams = []struct {
	name string
	get  func(c *channel) string
}{
	// Names are 12 characters with '_' for a space, no braces.
	{"CHAN_NAME", func(c *channel) string {
		n := strings.ReplaceAll(c.name, " ", "_")
		return n + strings.Repeat("_", max(0, 12-len(n)))
	}},
	{"TX_TYPE", func(c *channel) string {
		if !c.txOn {
			return "UNKNOWN"
		}
		return c.txModel
	}},
	{"TX_BAT", func(c *channel) string { return uhfrBattery(c) }},
	{"FREQUENCY", func(c *channel) string { return fmt.Sprintf("%06d", c.freq) }},
	{"GROUP_CHAN", func(*channel) string { return "-- --" }},
	{"AUDIO_GAIN", func(c *channel) string { return fmt.Sprintf("%02d", clampInt(c.gain+16, 0, 32)) }},
	{"MUTE", func(c *channel) string {
		if c.mute {
			return "ON"
		}
		return "OFF"
	}},
}

// uhfrBattery is 1-5 bars, or U with no transmitter (UHF-R has no 0).
func uhfrBattery(c *channel) string {
	if !c.txOn {
		return "U"
	}
	return strconv.Itoa(max(1, c.bars()))
}

func (s *uhfrServer) render(fn func(key, val string)) {
	for i, c := range s.r.ch {
		for _, p := range uhfrParams {
			fn(strconv.Itoa(i+1)+" "+p.name, p.get(c))
		}
	}
}

// publish pushes changed values to recent peers, as the receiver reports a
// change unprompted. r.mu held.
func (s *uhfrServer) publish() {
	s.render(func(key, val string) {
		if s.rendered[key] == val {
			return
		}
		s.rendered[key] = val
		for _, p := range s.recent() {
			s.sendRaw(p.addr, []byte("* REPORT "+key+" "+val+" *"))
		}
	})
}

// handle runs one command from addr. UHF-R answers nothing to what it does
// not understand. r.mu held.
func (s *uhfrServer) handle(addr *net.UDPAddr, toks []string) {
	r := s.r
	key := addr.String()
	peer := s.peers[key]
	if peer == nil {
		peer = &uhfrPeer{addr: addr, meters: map[int]*ticker{}}
		s.peers[key] = peer
	}
	peer.last = r.clock.Now()
	if len(toks) < 3 {
		return
	}
	ch, err := strconv.Atoi(toks[1])
	if err != nil || ch < 1 || ch > len(r.ch) {
		return
	}
	c := r.ch[ch-1]
	verb, param := strings.ToUpper(toks[0]), strings.ToUpper(toks[2])
	switch verb {
	case "GET":
		for _, p := range uhfrParams {
			if p.name == param {
				s.sendRaw(addr, []byte(shure.UHFRReport(ch, p.name, p.get(c))))
			}
		}
	case "SET":
		if param == "CHAN_NAME" && len(toks) == 4 {
			name := strings.ReplaceAll(strings.TrimRight(toks[3], "_"), "_", " ")
			if validName(name, r.spec.nameMax) == nil {
				c.name = name
				s.publish()
			}
		}
	case "METER":
		if param != "ALL" || len(toks) != 4 {
			return
		}
		if tk := peer.meters[ch]; tk != nil {
			tk.Stop()
			delete(peer.meters, ch)
		}
		if strings.EqualFold(toks[3], "STOP") {
			return
		}
		units, err := strconv.Atoi(toks[3])
		if err != nil || units < 1 || units > 999 {
			return
		}
		peer.meters[ch] = startTicker(r.clock, time.Duration(units)*shure.UHFRMeterUnit, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if s.conn == nil || r.stalled || s.peers[key] != peer {
				return
			}
			s.sendRaw(addr, []byte(fmt.Sprintf("* SAMPLE %d ALL %s *", ch, uhfrSample(r.sampled(c)))))
		})
	}
}

// uhfrSample renders diversity, RF A, RF B (as -dBm), battery and the audio
// LED bitmap, the fields micboard's parse_sample reads for uhfr.
func uhfrSample(c *channel) string {
	if !c.txOn {
		return "XX 115 115 U 000"
	}
	ant := func(dBm float64, letter byte) byte {
		if dBm > noSignal {
			return letter
		}
		return 'X'
	}
	rf := func(dBm float64) int { return clampInt(int(math.Round(-dBm)), 0, 128) }
	leds := clampInt(int(math.Round((c.audio+50)/6.25)), 0, 8)
	if c.clipEnd.After(time.Time{}) && c.audio >= -2 {
		leds = 8
	}
	return fmt.Sprintf("%c%c %03d %03d %s %03d", ant(c.rfA, 'A'), ant(c.rfB, 'B'), rf(c.rfA), rf(c.rfB), uhfrBattery(c), (1<<leds)-1)
}
