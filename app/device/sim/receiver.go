package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults for ReceiverConfig.
const (
	DefaultHost       = "127.0.0.1"
	DefaultMaxClients = 5
)

// noSignal is the RF level (dBm) at or below which an antenna counts as
// carrying nothing.
const noSignal = -95.0

// Endpoint describes one simulated receiver, in the shape Micboard imports.
type Endpoint struct {
	Vendor   string `json:"vendor"`   // "shure" or "sennheiser"
	Model    string `json:"model"`    // "ULXD4Q", "AD4Q", "EW-DX EM 4"...
	Code     string `json:"code"`     // micsim model code, e.g. "ulxd4q"
	Protocol string `json:"protocol"` // "tcp" (Shure), "udp" (SSC) or "https" (SSCv2)
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Channels int    `json:"channels"`
	Name     string `json:"name"`   // the receiver's own name (DEVICE_ID, /device/name)
	Serial   string `json:"serial"` // serial number
}

// Addr returns host:port.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// ReceiverConfig configures StartReceiver. Only Model is required.
type ReceiverConfig struct {
	Model        string   // model code, see ModelCodes
	Host         string   // default 127.0.0.1
	Port         int      // 0 picks a free port
	Name         string   // receiver name; generated when empty
	Serial       string   // generated when empty
	ChannelNames []string // generated (`HH01 Fatai`) where missing
	Seed         uint64   // drives every generated value
	Index        int      // position in a fleet; salts the seed so receivers differ
	Clock        Clock    // default RealClock
	MaxClients   int      // Shure: concurrent TCP clients served (default 5)
	// MeterJitter (dB) moves each meter sample's audio by up to that much
	// and RF by a third of it around the channel's level, as speech and a
	// walking performer do; 0 repeats the level until the scenario moves it.
	MeterJitter float64
	// Product overrides the product string the receiver answers (SSC
	// /device/identity/product, Shure MODEL where the family answers it),
	// to play a spelling Micboard may not list.
	Product string
	// Password is the third-party password ("api" user) of an SSCv2
	// receiver; empty means DefaultSSCv2Password.
	Password string
	Logger   *slog.Logger
}

// sampled returns the channel as one meter sample sees it: with jitter, the
// levels wobble around where the scenario holds them. r.mu held.
func (r *Receiver) sampled(c *channel) *channel {
	if r.jitter == 0 || !c.txOn {
		return c
	}
	s := *c
	wob := func(span float64) float64 { return (r.wobble.Float64()*2 - 1) * span }
	s.audio = min(0, c.audio+wob(r.jitter))
	s.rfA += wob(r.jitter / 3)
	s.rfB += wob(r.jitter / 3)
	return &s
}

// ChannelState is a snapshot of one channel, in physical units.
type ChannelState struct {
	Channel        int
	Name           string
	TxOn           bool
	TxModel        string  // ULXD2, AD2, SLXD1, SKM...
	BatteryType    string  // LION/ALKA (Shure), "Battery"/"Primary Cell" (Sennheiser)
	BatteryPercent int     // 0..100
	BatteryBars    int     // 0..5
	BatteryMinutes int     // minutes left
	FrequencyKHz   int     // e.g. 470125
	Mute           bool    // receiver audio mute
	GainDB         int     // receiver gain in dB
	TxOffsetDB     int     // transmitter offset in dB
	RFA, RFB       float64 // antenna levels in dBm
	AudioDBFS      float64 // audio level
}

// ReceiverState is a snapshot of a receiver.
type ReceiverState struct {
	Model    string
	Name     string
	Serial   string
	Dropped  bool
	Stalled  bool
	Channels []ChannelState
}

// channel is the live state of one receiver channel and its transmitter.
type channel struct {
	name     string
	txOn     bool
	txModel  string
	battType string  // LION or ALKA; EW-DX maps these to its own words
	pct      float64 // battery charge, 0..100
	life     float64 // minutes a full battery lasts
	freq     int     // kHz
	mute     bool
	gain     int // dB
	offset   int // dB
	baseA    float64
	baseB    float64
	rfA      float64 // dBm
	rfB      float64 // dBm
	audio    float64 // dBFS
	clipSeq  uint64  // bumps on every clip so each meter client reports it once
	clipEnd  time.Time
}

func (c *channel) percent() int {
	p := int(math.Ceil(c.pct - 1e-9))
	return max(0, min(100, p))
}

// bars follows the five-segment gauge: 81-100 % is 5 bars ... 0-5 % is 0.
func (c *channel) bars() int {
	p := c.percent()
	switch {
	case p > 80:
		return 5
	case p > 60:
		return 4
	case p > 40:
		return 3
	case p > 20:
		return 2
	case p > 5:
		return 1
	}
	return 0
}

func (c *channel) minutes() int { return int(math.Round(c.pct / 100 * c.life)) }

func (c *channel) bestRF() float64 { return math.Max(c.rfA, c.rfB) }

// quality is AD's 0-5 link quality, derived from the stronger antenna.
func (c *channel) quality() int {
	best := c.bestRF()
	switch {
	case best >= -70:
		return 5
	case best >= -78:
		return 4
	case best >= -85:
		return 3
	case best >= -90:
		return 2
	case best >= -95:
		return 1
	}
	return 0
}

// protoServer is the wire side of a receiver. Every method except wait is
// called with Receiver.mu held.
// portKeeper is a server that keeps its port through a drop, refusing what
// arrives meanwhile.
type portKeeper interface{ dropClients() }

type protoServer interface {
	listen() error
	closeAll()
	publish()
	garbage(p []byte)
	clients() int
	wait()
}

// Receiver is one simulated receiver serving its vendor's protocol on a
// loopback socket. All exported methods are safe for concurrent use; the
// Set*/Clip hooks push unprompted updates to connected clients the way a real
// receiver does when a value changes.
type Receiver struct {
	spec       modelSpec
	clock      Clock
	log        *slog.Logger
	host       string
	maxClients int

	mu       sync.Mutex
	port     int
	name     string
	serial   string
	ch       []*channel
	dropped  bool
	stalled  bool
	stopped  bool
	restoreT Timer
	junk     *rand.Rand
	jitter   float64
	wobble   *rand.Rand // meter jitter, apart from junk so scripted garbage stays the same
	srv      protoServer
	prod     string // product string override, "" = the model's
}

// product is what the receiver answers for its product name.
func (r *Receiver) product() string {
	if r.prod != "" {
		return r.prod
	}
	return r.spec.wireModel
}

// StartReceiver creates a receiver and starts serving it.
func StartReceiver(cfg ReceiverConfig) (*Receiver, error) {
	r, err := newReceiver(cfg, nil)
	if err != nil {
		return nil, err
	}
	if err := r.start(); err != nil {
		return nil, err
	}
	return r, nil
}

// newReceiver builds the state; nm (shared across a fleet) may be nil.
func newReceiver(cfg ReceiverConfig, nm *namer) (*Receiver, error) {
	spec, err := lookupModel(cfg.Model)
	if err != nil {
		return nil, err
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("port %d out of range", cfg.Port)
	}
	if cfg.Host == "" {
		cfg.Host = DefaultHost
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if nm == nil {
		nm = newNamer(cfg.Seed ^ uint64(cfg.Index)*0x9e3779b97f4a7c15)
	}
	idx := uint64(cfg.Index)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5245430000000000|idx))
	r := &Receiver{
		spec:       spec,
		clock:      cfg.Clock,
		host:       cfg.Host,
		maxClients: cfg.MaxClients,
		port:       cfg.Port,
		name:       cfg.Name,
		serial:     cfg.Serial,
		junk:       rand.New(rand.NewPCG(cfg.Seed, 0x4a554e4b00000000|idx)),
		jitter:     max(0, cfg.MeterJitter),
		wobble:     rand.New(rand.NewPCG(cfg.Seed, 0x574f42424c450000|idx)),
		prod:       cfg.Product,
	}
	if r.name == "" {
		r.name = nm.deviceName(cfg.Index)
	}
	if r.serial == "" {
		r.serial = nm.serial(spec.vendor)
	}
	if len(r.name) > 31 {
		return nil, fmt.Errorf("receiver name %q longer than 31 characters", r.name)
	}
	// A device stores only as much of its name as its DEVICE_ID holds.
	if w := deviceIDWidth(spec.code); len(r.name) > w {
		r.name = strings.TrimSpace(r.name[:w])
	}
	used := map[int]bool{}
	steps := (spec.freqHi - spec.freqLo) / 25
	for i := 0; i < spec.channels; i++ {
		c := &channel{txModel: spec.txModels[rng.IntN(len(spec.txModels))]}
		if i < len(cfg.ChannelNames) && cfg.ChannelNames[i] != "" {
			if err := validName(cfg.ChannelNames[i], spec.nameMax); err != nil {
				return nil, fmt.Errorf("channel %d: %w", i+1, err)
			}
			c.name = cfg.ChannelNames[i]
		} else {
			c.name = nm.channelName(c.txModel, spec.nameMax)
		}
		// Spare packs sit in the rack switched off, as on a real show.
		c.txOn = !strings.HasSuffix(c.name, "Spare")
		c.battType, c.life = "LION", 600
		if rng.IntN(4) == 0 {
			c.battType, c.life = "ALKA", 480
		}
		c.pct = 35 + 65*rng.Float64()
		for {
			f := spec.freqLo + 25*rng.IntN(steps+1)
			if !used[f] {
				used[f] = true
				c.freq = f
				break
			}
		}
		c.baseA = -48 - 18*rng.Float64()
		c.baseB = c.baseA - 8*rng.Float64()
		c.rfA, c.rfB = math.Round(c.baseA), math.Round(c.baseB)
		c.audio = -30
		r.ch = append(r.ch, c)
	}
	r.log = cfg.Logger.With("model", spec.model, "name", r.name)
	switch {
	case spec.fam == famEWG4:
		r.srv = newG4Server(r)
	case spec.fam == famEWDXv2:
		srv, err := newSSCv2Server(r, cfg.Password)
		if err != nil {
			return nil, err
		}
		r.srv = srv
	case spec.vendor == VendorSennheiser:
		r.srv = newSSCServer(r)
	case shureDatagram(spec.fam):
		r.srv = newUHFRServer(r)
	default:
		r.srv = newShureServer(r)
	}
	return r, nil
}

func (r *Receiver) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.srv.listen(); err != nil {
		return fmt.Errorf("start %s %s: %w", r.spec.model, net.JoinHostPort(r.host, strconv.Itoa(r.port)), err)
	}
	r.log = r.log.With("addr", net.JoinHostPort(r.host, strconv.Itoa(r.port)))
	r.log.Debug("simulated receiver listening")
	return nil
}

// Stop closes every socket of the receiver and waits for its goroutines.
// A stopped receiver cannot be restarted.
func (r *Receiver) Stop() error {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return nil
	}
	r.stopped = true
	if r.restoreT != nil {
		r.restoreT.Stop()
		r.restoreT = nil
	}
	r.srv.closeAll()
	r.mu.Unlock()
	r.srv.wait()
	return nil
}

// Endpoint describes where and what the receiver is.
func (r *Receiver) Endpoint() Endpoint {
	r.mu.Lock()
	defer r.mu.Unlock()
	proto := "tcp"
	switch {
	case r.spec.fam == famEWDXv2:
		proto = "https"
	case r.spec.vendor == VendorSennheiser || shureDatagram(r.spec.fam):
		proto = "udp"
	}
	return Endpoint{
		Vendor: r.spec.vendor, Model: r.spec.model, Code: r.spec.code, Protocol: proto,
		Host: r.host, Port: r.port, Channels: len(r.ch), Name: r.name, Serial: r.serial,
	}
}

// Addr returns host:port of the receiver's socket.
func (r *Receiver) Addr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return net.JoinHostPort(r.host, strconv.Itoa(r.port))
}

// Port returns the receiver's port (the chosen one when started with 0).
func (r *Receiver) Port() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.port
}

// Channels returns the number of channels.
func (r *Receiver) Channels() int { return r.spec.channels }

// Clients reports connected TCP clients (Shure) or peers heard from in the
// last minute (SSC). Tests use it to wait for a monitor to attach.
func (r *Receiver) Clients() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.srv.clients()
}

// State returns a snapshot of the receiver.
func (r *Receiver) State() ReceiverState {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := ReceiverState{Model: r.spec.model, Name: r.name, Serial: r.serial, Dropped: r.dropped, Stalled: r.stalled}
	for i, c := range r.ch {
		bt := c.battType
		if r.spec.fam == famEWDX {
			bt = sscBatteryType(c)
		}
		st.Channels = append(st.Channels, ChannelState{
			Channel: i + 1, Name: c.name, TxOn: c.txOn, TxModel: c.txModel, BatteryType: bt,
			BatteryPercent: c.percent(), BatteryBars: c.bars(), BatteryMinutes: c.minutes(),
			FrequencyKHz: c.freq, Mute: c.mute, GainDB: c.gain, TxOffsetDB: c.offset,
			RFA: c.rfA, RFB: c.rfB, AudioDBFS: c.audio,
		})
	}
	return st
}

// update runs f on channel ch (1-based) and pushes whatever changed.
func (r *Receiver) update(ch int, f func(c *channel) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch < 1 || ch > len(r.ch) {
		return fmt.Errorf("%s: channel %d out of range 1..%d", r.spec.model, ch, len(r.ch))
	}
	if err := f(r.ch[ch-1]); err != nil {
		return fmt.Errorf("%s channel %d: %w", r.spec.model, ch, err)
	}
	r.srv.publish()
	return nil
}

// barTop maps a bar count to the charge at the top of that bar's band, so a
// hook setting n bars reads back as exactly n bars.
var barTop = [6]float64{5, 20, 40, 60, 80, 100}

// SetBatteryBars sets channel ch's battery to n bars (0..5).
func (r *Receiver) SetBatteryBars(ch, n int) error {
	return r.update(ch, func(c *channel) error {
		if n < 0 || n > 5 {
			return fmt.Errorf("battery bars %d not in 0..5", n)
		}
		c.pct = barTop[n]
		return nil
	})
}

// SetBatteryPercent sets channel ch's battery charge (0..100); bars and
// minutes follow from it.
func (r *Receiver) SetBatteryPercent(ch, pct int) error {
	return r.update(ch, func(c *channel) error {
		if pct < 0 || pct > 100 {
			return fmt.Errorf("battery percent %d not in 0..100", pct)
		}
		c.pct = float64(pct)
		return nil
	})
}

// SetBatteryType sets the battery chemistry: "LION" (rechargeable, reports
// minutes and percent) or "ALKA" (Shure then reports those as unknown).
func (r *Receiver) SetBatteryType(ch int, typ string) error {
	return r.update(ch, func(c *channel) error {
		switch typ {
		case "LION":
			c.battType, c.life = "LION", 600
		case "ALKA":
			c.battType, c.life = "ALKA", 480
		default:
			return fmt.Errorf("battery type %q not LION or ALKA", typ)
		}
		return nil
	})
}

// SetTxOff switches channel ch's transmitter off (battery and model become
// unknown, RF and audio vanish) or back on.
func (r *Receiver) SetTxOff(ch int, off bool) error {
	return r.update(ch, func(c *channel) error {
		c.txOn = !off
		if off {
			c.rfA, c.rfB, c.audio = -115, -115, -120
		} else {
			c.rfA, c.rfB, c.audio = math.Round(c.baseA), math.Round(c.baseB), -30
		}
		return nil
	})
}

// SetTxModel sets the transmitter model reported while it is on (ULXD2, AD2,
// SLXD1, SKM...).
func (r *Receiver) SetTxModel(ch int, model string) error {
	return r.update(ch, func(c *channel) error {
		for _, m := range r.spec.txModels {
			if m == model {
				c.txModel = model
				return nil
			}
		}
		return fmt.Errorf("transmitter %q not one of %v", model, r.spec.txModels)
	})
}

// SetName changes channel ch's name as if typed on the front panel. Names
// longer than the model stores (8 on ULX-D/QLX-D) are refused.
func (r *Receiver) SetName(ch int, name string) error {
	return r.update(ch, func(c *channel) error {
		if err := validName(name, r.spec.nameMax); err != nil {
			return err
		}
		c.name = name
		return nil
	})
}

// SetDeviceName changes the receiver's own name (DEVICE_ID, /device/name).
func (r *Receiver) SetDeviceName(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := validName(name, 31); err != nil {
		return fmt.Errorf("%s device name: %w", r.spec.model, err)
	}
	r.name = name
	r.srv.publish()
	return nil
}

// SetFrequency tunes channel ch to kHz (25 kHz grid, within the band).
func (r *Receiver) SetFrequency(ch, kHz int) error {
	return r.update(ch, func(c *channel) error {
		if !r.validFreq(kHz) {
			return fmt.Errorf("frequency %d kHz outside %d..%d or off the 25 kHz grid", kHz, r.spec.freqLo, r.spec.freqHi)
		}
		c.freq = kHz
		return nil
	})
}

// SetRF sets both antenna levels of channel ch in dBm (-120..0; at or below
// -95 an antenna counts as dead). The scenario engine wanders around these.
func (r *Receiver) SetRF(ch int, antA, antB float64) error {
	return r.update(ch, func(c *channel) error {
		if antA < -120 || antA > 0 || antB < -120 || antB > 0 {
			return fmt.Errorf("rf levels %.0f/%.0f dBm not in -120..0", antA, antB)
		}
		c.baseA, c.baseB, c.rfA, c.rfB = antA, antB, antA, antB
		return nil
	})
}

// SetAudio sets channel ch's audio level in dBFS (-120..0).
func (r *Receiver) SetAudio(ch int, dBFS float64) error {
	return r.update(ch, func(c *channel) error {
		if dBFS < -120 || dBFS > 0 {
			return fmt.Errorf("audio level %.1f dBFS not in -120..0", dBFS)
		}
		c.audio = dBFS
		return nil
	})
}

// clipHold is how long an EW-DX keeps AfPeak in its warnings after a clip.
const clipHold = 2 * time.Second

// Clip makes channel ch's audio clip once: the next meter sample each Shure
// client receives carries the peak flag, and EW-DX raises AfPeak for 2 s.
func (r *Receiver) Clip(ch int) error {
	return r.update(ch, func(c *channel) error {
		if !c.txOn {
			return errors.New("transmitter is off")
		}
		c.clipSeq++
		c.clipEnd = r.clock.Now().Add(clipHold)
		return nil
	})
}

// Drop closes every connection and refuses new ones (the socket is closed,
// so TCP connects are refused and SSC requests go unanswered) for d, then
// restores; d <= 0 means until Restore.
func (r *Receiver) Drop(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if r.restoreT != nil {
		r.restoreT.Stop()
		r.restoreT = nil
	}
	if !r.dropped {
		r.dropped = true
		if pk, ok := r.srv.(portKeeper); ok {
			pk.dropClients()
		} else {
			r.srv.closeAll()
		}
		r.log.Info("simulated receiver dropped the link", "for", d)
	}
	if d > 0 {
		r.restoreT = r.clock.AfterFunc(d, func() { _ = r.Restore() })
	}
}

// Restore reopens the socket after Drop, on the same port.
func (r *Receiver) Restore() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || !r.dropped {
		return nil
	}
	if r.restoreT != nil {
		r.restoreT.Stop()
		r.restoreT = nil
	}
	if err := r.srv.listen(); err != nil {
		// Someone may hold the port briefly; keep trying like a rebooting device.
		r.restoreT = r.clock.AfterFunc(time.Second, func() { _ = r.Restore() })
		return fmt.Errorf("restore %s on port %d: %w", r.spec.model, r.port, err)
	}
	r.dropped = false
	r.log.Info("simulated receiver restored the link")
	return nil
}

// Dropped reports whether the receiver is currently refusing connections.
func (r *Receiver) Dropped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

// Stall freezes the receiver without closing anything: sockets stay open but
// it answers nothing and pushes nothing until Stall(false).
func (r *Receiver) Stall(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stalled != on {
		r.log.Info("simulated receiver stall", "on", on)
	}
	r.stalled = on
}

// Stalled reports whether the receiver is stalled.
func (r *Receiver) Stalled() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stalled
}

// SendGarbage sends a burst of random bytes to every connected client (Shure)
// or recent peer (SSC). The burst never contains a complete `< ... >` frame,
// so a client that resyncs on the next '<' loses nothing real.
func (r *Receiver) SendGarbage() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || r.dropped || r.stalled {
		return
	}
	n := 16 + r.junk.IntN(48)
	p := make([]byte, 0, n+16)
	for len(p) < n {
		b := byte(r.junk.UintN(256))
		if b == '<' || b == '>' {
			continue
		}
		p = append(p, b)
	}
	if r.spec.vendor == VendorShure && !shureDatagram(r.spec.fam) {
		// A torn frame with no '>' is the nastiest realistic case.
		p = append(p, "< REP 1 BATT_B"...)
	}
	r.srv.garbage(p)
}

func (r *Receiver) validFreq(kHz int) bool {
	return kHz >= r.spec.freqLo && kHz <= r.spec.freqHi && kHz%25 == 0
}

// validName accepts printable ASCII without braces, up to max characters:
// Shure's documented name set includes '<', '=' and '>', which travel inside
// the braces; '*' frames UHF-R messages.
func validName(name string, max int) error {
	if len(name) > max {
		return fmt.Errorf("name %q longer than %d characters", name, max)
	}
	for _, b := range []byte(name) {
		if b < 0x20 || b > 0x7e || b == '{' || b == '}' || b == '*' {
			return fmt.Errorf("name %q has a character the receiver cannot store", name)
		}
	}
	return nil
}
