package shure

import (
	"math"
	"strings"

	"micboard/app/device"
)

// Sentinels the receivers send instead of a value.
const (
	unknown8         = 255   // bars, charge, offset, quality
	minsUnknown      = 65535 // runtime: no data
	minsCalculating  = 65534 // runtime: still estimating
	minsCommsWarning = 65533 // runtime: battery does not answer the transmitter
)

// Decoder turns a stream of messages from one receiver into device.Readings.
// It learns the model family because TX_OFFSET and the name limits differ per
// family: from MODEL where the device answers it, otherwise from what the
// device does (the SAMPLE layout, the parameter names it reports, its
// transmitter models), since ULX-D and QLX-D stay silent to GET MODEL. Not
// safe for concurrent use.
type Decoder struct {
	Family Family
	// Model is what the device said to MODEL ("" while it has not).
	Model string
	// LearnedFrom says what set Family, for the log ("MODEL", "sample
	// layout", "parameter BATT_BARS", ...).
	LearnedFrom string
	// MaxChannel is the highest channel that reported anything: the channel
	// count of a device that does not say its model.
	MaxChannel int
	// Named counts CHAN_NAME answers: a device whose GET 0 ALL gave none
	// is asked channel by channel.
	Named int
	// QLX is set when a QLX-D transmitter was seen on a ULX-D-family device
	// that never said its model.
	QLX       bool
	Errors    int // REP ERR received
	Malformed int // messages that failed to parse
	// Answered lists the parameters the device reported while its family
	// was unknown (at most maxAnswered, in first-heard order), to say what
	// a device that matches no family does answer.
	Answered []string
	msg      Message
	// offsets holds TX_OFFSET values that arrived before the family was
	// known (its formula depends on the family), by channel.
	offsets map[int]int
}

// Decode parses msg (as delivered by Splitter) and applies it to r. It
// returns the message kind; a parse error leaves r untouched.
func (d *Decoder) Decode(r *device.Reading, msg []byte) (Kind, error) {
	m := &d.msg
	if err := ParseInto(m, msg); err != nil {
		d.Malformed++
		return m.Kind, err
	}
	switch m.Kind {
	case KindError:
		d.Errors++
		return m.Kind, nil
	case KindRep, KindSample:
	default:
		return m.Kind, nil
	}
	if m.Channel > d.MaxChannel && m.Channel <= maxChannels && (m.Kind == KindSample || m.Param != nil) {
		d.MaxChannel = m.Channel
	}
	if m.Kind == KindRep && m.Channel >= 1 && m.ParamIs("CHAN_NAME") {
		d.Named++
	}
	if m.Kind == KindRep && d.Family == FamilyUnknown && len(m.Param) > 0 && len(d.Answered) < maxAnswered {
		d.noteAnswered(m.Param)
	}
	d.learn(r, m)
	if m.Kind == KindRep && m.ParamIs("TX_OFFSET") && d.Family == FamilyUnknown && m.Channel >= 1 {
		if v, ok := atoi(m.Value); ok {
			if d.offsets == nil {
				d.offsets = map[int]int{}
			}
			d.offsets[m.Channel] = v
		}
	}
	Apply(r, m, d.Family)
	return m.Kind, nil
}

// maxChannels bounds the channel index a device may use (the registry
// stores at most 8 channels per receiver).
const maxChannels = 8

// maxAnswered bounds Decoder.Answered.
const maxAnswered = 24

// noteAnswered adds a parameter name to Answered once.
func (d *Decoder) noteAnswered(param []byte) {
	var up [24]byte
	p := paramUpper(&up, param)
	if p == "" {
		return
	}
	for _, a := range d.Answered {
		if a == p {
			return
		}
	}
	d.Answered = append(d.Answered, p)
}

// Generic takes a device that talked but showed no family as FamilyGeneric
// (watched with what every family shares) and tells r. It reports whether
// it did: only a device of unknown family that said its model or reported
// a channel is taken.
func (d *Decoder) Generic(r *device.Reading) bool {
	if d.Family != FamilyUnknown || (d.Model == "" && d.MaxChannel == 0) {
		return false
	}
	d.Family, d.LearnedFrom = FamilyGeneric, "no family matched"
	r.Family = device.Some(d.DeviceType())
	r.Kind = device.Some(FamilyGeneric.Info().Kind)
	return true
}

// learn updates the family from m and, when it changes, tells r.
func (d *Decoder) learn(r *device.Reading, m *Message) {
	f, why := FamilyUnknown, ""
	if m.Kind == KindSample {
		switch m.Sample.Layout {
		case FamilyULXD, FamilyAD, FamilyUHFR:
			f, why = m.Sample.Layout, "sample layout"
		case FamilySLXD:
			if d.Family != FamilySLXDPlus {
				f, why = FamilySLXD, "sample layout"
			}
		}
	} else {
		var up [24]byte
		switch p := paramUpper(&up, m.Param); p {
		case "MODEL":
			d.Model = string(m.Value)
			f, why = FamilyOf(d.Model), "MODEL"
		case "BATT_BARS", "BATT_RUN_TIME", "BATT_CHARGE", "BATT_TYPE", "TX_TYPE":
			f, why = FamilyULXD, "parameter "+p
			if p == "TX_TYPE" && len(m.Value) >= 3 && equalFold(m.Value[:3], "QLX") {
				d.QLX = true
			}
		case "TX_BAT", "GROUP_CHAN":
			if d.Family == FamilyUnknown && p == "TX_BAT" {
				f, why = FamilyUHFR, "parameter "+p
			}
		case "TX_BATT_CHARGE_PERCENT", "TX_BATT_TYPE", "CHAN_QUALITY":
			f, why = FamilyAD, "parameter "+p
		case "AUDIO_IN_LVL_L", "AUDIO_IN_LVL_R", "RF_TX_LVL", "RF_MUTE", "DEVICE_NAME", "AUDIO_TX_MODE":
			f, why = FamilyP10T, "parameter "+p
		case "LINK_STATUS", "LINK_TX_BATT_MINS", "SLOT_TX_MODEL":
			if d.Family == FamilySLXD || d.Family == FamilyUnknown {
				f, why = FamilySLXDPlus, "parameter "+p
			}
		case "TX_MODEL":
			v := string(m.Value)
			switch u := strings.ToUpper(v); {
			case strings.HasPrefix(u, "SLXD") && strings.HasSuffix(u, "+"):
				f, why = FamilySLXDPlus, "transmitter "+v
			case strings.HasPrefix(u, "SLXD") && d.Family != FamilySLXDPlus:
				f, why = FamilySLXD, "transmitter "+v
			case strings.HasPrefix(u, "AD"):
				f, why = FamilyAD, "transmitter "+v
			}
		}
	}
	if f == FamilyUnknown || f == d.Family || d.Family == FamilyUHFR {
		// UHF-R is known by its transport; its TX_TYPE is not ULX-D's.
		return
	}
	// What the device said about its model outranks what it does; a model
	// the table does not know yields to the evidence.
	if d.Family != FamilyUnknown && why != "MODEL" && d.LearnedFrom == "MODEL" {
		return
	}
	d.Family, d.LearnedFrom = f, why
	r.Family = device.Some(d.DeviceType())
	r.Kind = device.Some(f.Info().Kind)
	for ch, v := range d.offsets {
		applyOffset(r.Channel(ch), v, f)
	}
	d.offsets = nil
}

// DeviceType is the registry's device type code for what the decoder has
// learned ("" while the family is unknown).
func (d *Decoder) DeviceType() string {
	if d.Family == FamilyULXD && d.Model == "" && d.QLX {
		return "qlxd"
	}
	return DeviceTypeOf(d.Family, d.Model)
}

// InferModel names the model of a device that never answered MODEL, from its
// family, its channel count and (QLX-D) its transmitters. ok is false when
// nothing fits.
func (d *Decoder) InferModel() (model string, ok bool) {
	if d.Family == FamilyULXD && d.QLX {
		return "QLXD4", true
	}
	for _, mi := range d.Family.Info().Models {
		if mi.Channels == d.MaxChannel && mi.DeviceType == "" {
			return mi.Model, true
		}
	}
	return "", false
}

// Apply maps a REP or SAMPLE message onto r, for a receiver of family fam
// (FamilyUnknown is fine for everything but TX_OFFSET, which is then skipped).
// Parameters it does not know, and values out of their documented range that
// are not a sentinel, are ignored: a new firmware must not break the board.
// It reports whether r changed.
func Apply(r *device.Reading, m *Message, fam Family) bool {
	switch m.Kind {
	case KindSample:
		if m.Channel < 1 {
			return false
		}
		applySample(r.Channel(m.Channel), &m.Sample)
		return true
	case KindRep:
		if applyDevice(r, m) {
			return true
		}
		if m.Channel < 1 {
			return false
		}
		return applyChannel(r, m, fam)
	}
	return false
}

// applyDevice handles device-level parameters; some firmware sends them with
// an index, so the channel is not checked.
func applyDevice(r *device.Reading, m *Message) bool {
	var up [24]byte
	switch paramUpper(&up, m.Param) {
	case "DEVICE_ID", "DEVICE_NAME": // DEVICE_NAME on PSM1000
		r.Name = device.Some(string(m.Value))
	case "MODEL":
		model := string(m.Value)
		r.Model = device.Some(model)
		if n := ChannelsOf(model); n > 0 {
			r.ChannelCount = device.Some(n)
		}
	case "FW_VER":
		r.Firmware = device.Some(string(m.Value))
	case "RF_BAND":
		r.RFBand = device.Some(string(m.Value))
	case "SERIAL_NUM", "SERIAL_NUMBER":
		r.Serial = device.Some(string(m.Value))
	default:
		return false
	}
	return true
}

func applyChannel(r *device.Reading, m *Message, fam Family) bool {
	var up [24]byte
	param := paramUpper(&up, m.Param)
	v, isNum := atoi(m.Value)
	// Look the channel up only once we know the parameter is ours, so an
	// unknown parameter does not leave an empty channel behind.
	ch := func() *device.ChannelReading { return r.Channel(m.Channel) }
	switch param {
	case "CHAN_NAME":
		ch().Name = device.Some(string(m.Value))
	case "BATT_BARS", "TX_BATT_BARS":
		if !isNum {
			return false
		}
		ch().BatteryBars = ranged(v, 0, 5)
	case "TX_BAT":
		// UHF-R: 1-5 bars, U unknown (micboard py/mic.py set_battery).
		switch {
		case equalFold(m.Value, "U"):
			ch().BatteryBars = device.Unknown[int]()
		case isNum:
			ch().BatteryBars = ranged(v, 1, 5)
		default:
			return false
		}
	case "BATT_RUN_TIME", "TX_BATT_MINS":
		if !isNum {
			return false
		}
		c := ch()
		switch v {
		case minsUnknown:
			c.BatteryMinutes, c.BatteryRuntime = device.Unknown[int](), device.RuntimeUnknown
		case minsCalculating:
			c.BatteryMinutes, c.BatteryRuntime = device.Unknown[int](), device.RuntimeCalculating
		case minsCommsWarning:
			c.BatteryMinutes, c.BatteryRuntime = device.Unknown[int](), device.RuntimeCommsWarning
		default:
			c.BatteryMinutes, c.BatteryRuntime = device.Some(v), device.RuntimeValid
		}
	case "BATT_CHARGE", "TX_BATT_CHARGE_PERCENT":
		if !isNum {
			return false
		}
		ch().BatteryPercent = ranged(v, 0, 100)
	case "BATT_TYPE", "TX_BATT_TYPE":
		ch().BatteryType = code(m.Value)
	case "TX_TYPE", "TX_MODEL":
		ch().TxModel = code(m.Value)
	case "TX_OFFSET":
		if !isNum || (v != unknown8 && fam != FamilyULXD && fam != FamilyAD) {
			return false
		}
		applyOffset(ch(), v, fam)
	case "FREQUENCY":
		if !isNum {
			return false
		}
		if v == 0 {
			// A channel with no frequency set reports zeros.
			ch().FrequencyKHz = device.Unknown[int]()
		} else {
			ch().FrequencyKHz = device.Some(v)
		}
	case "AUDIO_MUTE":
		switch {
		case equalFold(m.Value, "ON"):
			ch().Muted = device.Some(true)
		case equalFold(m.Value, "OFF"):
			ch().Muted = device.Some(false)
		default:
			return false
		}
	case "AUDIO_GAIN":
		if !isNum {
			return false
		}
		ch().Gain = device.Some(float64(v - 18))
	case "CHAN_QUALITY":
		if !isNum {
			return false
		}
		c := ch()
		c.Quality, c.QualityMax = ranged(v, 0, 5), 5
	case "AUDIO_IN_LVL_L", "AUDIO_IN_LVL_R":
		// PSM1000 audio input meters. The original micboard (py/iem.py)
		// reads them as a linear level with steps up to 2,502,970; taken as
		// 24-bit full scale that top step is -10.5 dBFS, which is where it
		// shows a full meter.
		if !isNum {
			return false
		}
		db := device.Some(linearToDBFS(v))
		if param == "AUDIO_IN_LVL_L" {
			ch().AudioLevelDBFS = db
		} else {
			ch().AudioLevelRightDBFS = db
		}
	case "RF_TX_LVL":
		// PSM1000 RF output power in mW: 10, 50 or 100.
		if !isNum || v > 1000 {
			return false
		}
		ch().RFPowerMW = device.Some(v)
	case "RF_MUTE":
		switch {
		case equalFold(m.Value, "1"), equalFold(m.Value, "ON"):
			ch().RFMuted = device.Some(true)
		case equalFold(m.Value, "0"), equalFold(m.Value, "OFF"):
			ch().RFMuted = device.Some(false)
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// applyOffset sets the transmitter offset; the formula depends on the family
// (ULX-D: dB as sent; AD: value - 12), so without it nothing is guessed.
func applyOffset(c *device.ChannelReading, v int, fam Family) bool {
	switch {
	case v == unknown8:
		c.TxOffsetDB = device.Unknown[int]()
	case fam == FamilyULXD:
		c.TxOffsetDB = device.Some(v)
	case fam == FamilyAD:
		c.TxOffsetDB = device.Some(v - 12)
	default:
		return false
	}
	return true
}

// Peak thresholds for the families without a clip bit. The original
// micboard (py/mic.py) flags AUDIO_PEAK when ULX-D/QLX-D's level reaches 80 of
// its doubled 0-100 scale and Axient's RMS reaches 90 of its value-20 scale:
// both are -10 dBFS. SLX-D uses the same level.
const peakDBFS = -10

// applySample maps a sample onto c. Values outside their documented range
// are dropped rather than shown: a meter that reads +30 dBFS is a parse of
// something the device did not mean.
func applySample(c *device.ChannelReading, s *Sample) {
	rfMax, audMax := 120, 120
	switch s.Layout {
	case FamilyULXD:
		rfMax, audMax = 115, 50
	case FamilyUHFR:
		rfMax, audMax = 128, 255
		if s.Battery == unknown8 {
			c.BatteryBars = device.Unknown[int]()
		} else {
			c.BatteryBars = ranged(s.Battery, 1, 5)
		}
	}
	rf := make([]float64, 0, s.RFCount)
	for i := range s.RFCount {
		v := s.RF[i]
		if s.FD && s.RF2[i] > v && s.RF2[i] <= rfMax {
			// Combining: the antenna's stronger frequency is what it hears.
			v = s.RF2[i]
		}
		if v < 0 || v > rfMax {
			rf = nil
			break
		}
		rf = append(rf, (&Sample{Layout: s.Layout, RF: [4]int{v}}).RFDBm(0))
	}
	if rf != nil {
		c.RFLevelDBm = rf
	}
	if s.Antennas > 0 {
		div := s.Diversity
		if s.FD {
			for i := range s.Antennas {
				if div[i] == 'X' {
					div[i] = s.Diversity2[i]
				}
			}
		}
		c.Diversity = device.Some(diversity(div[:s.Antennas]))
	}
	if s.AudioLevel >= 0 && s.AudioLevel <= audMax {
		level := s.AudioLevelDBFS()
		c.AudioLevelDBFS = device.Some(level)
		switch s.Layout {
		case FamilyUHFR:
			// micboard flags a UHF-R peak only with every LED lit (255).
			c.AudioPeak = device.Some(s.AudioLevel == 255)
		case FamilyULXD, FamilySLXD:
			c.AudioPeak = device.Some(level >= peakDBFS)
		}
	}
	if p, ok := s.AudioPeakDBFS(); ok && s.AudioPeak >= 0 && s.AudioPeak <= 120 {
		c.AudioPeakDBFS = device.Some(p)
	}
	if s.Layout == FamilyAD {
		c.AudioPeak = device.Some(s.Clipped())
		c.Quality, c.QualityMax = ranged(s.Quality, 0, 5), 5
	}
}

// linearToDBFS converts a 24-bit linear level to dBFS, floored at -120.
func linearToDBFS(v int) float64 {
	if v <= 0 {
		return -120
	}
	return math.Max(-120, math.Round(20*math.Log10(float64(v)/(1<<23))*10)/10)
}

// diversity returns the common two-antenna states without allocating; they
// arrive in every sample of every channel.
func diversity(b []byte) string {
	switch string(b) {
	case "XX":
		return "XX"
	case "AX":
		return "AX"
	case "XB":
		return "XB"
	case "AB":
		return "AB"
	case "BB":
		return "BB"
	case "RB":
		return "RB"
	case "BR":
		return "BR"
	case "RR":
		return "RR"
	case "BX":
		return "BX"
	case "XR":
		return "XR"
	case "RX":
		return "RX"
	}
	return string(b)
}

// ranged returns v when it lies in [lo, hi] and Unknown otherwise (255 and
// any other out-of-range value alike: the device does not know).
func ranged(v, lo, hi int) device.Opt[int] {
	if v < lo || v > hi {
		return device.Unknown[int]()
	}
	return device.Some(v)
}

// code maps a type code, treating UNKN/UNKNOWN/empty as unknown.
func code(v []byte) device.Opt[string] {
	if len(v) == 0 || equalFold(v, "UNKN") || equalFold(v, "UNKNOWN") {
		return device.Unknown[string]()
	}
	var up [24]byte
	if s := paramUpper(&up, v); s != "" {
		return device.Some(s)
	}
	return device.Some(string(v))
}

// paramUpper upper-cases p into buf so parameter names match whatever case
// the device used. Names longer than buf give "" (no parameter is that long).
func paramUpper(buf *[24]byte, p []byte) string {
	if len(p) > len(buf) {
		return ""
	}
	for i, c := range p {
		buf[i] = upper(c)
	}
	return string(buf[:len(p)])
}
