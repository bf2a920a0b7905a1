package shure

import (
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
// It remembers the model family (learned from MODEL) because TX_OFFSET means
// different things per family. Not safe for concurrent use.
type Decoder struct {
	Family    Family
	Errors    int // REP ERR received
	Malformed int // messages that failed to parse
	msg       Message
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
	case KindRep:
		if m.ParamIs("MODEL") {
			if f := FamilyOf(string(m.Value)); f != FamilyUnknown {
				d.Family = f
			}
		}
	}
	Apply(r, m, d.Family)
	return m.Kind, nil
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
	case "DEVICE_ID":
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
		if !isNum {
			return false
		}
		switch {
		case v == unknown8:
			ch().TxOffsetDB = device.Unknown[int]()
		case fam == FamilyULXD:
			ch().TxOffsetDB = device.Some(v)
		case fam == FamilyAD:
			ch().TxOffsetDB = device.Some(v - 12)
		default:
			// The formula depends on the family; guessing would show a
			// wrong offset, so wait for MODEL.
			return false
		}
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
	default:
		return false
	}
	return true
}

func applySample(c *device.ChannelReading, s *Sample) {
	c.RFLevelDBm = make([]float64, s.RFCount)
	for i := range s.RFCount {
		c.RFLevelDBm[i] = s.RFDBm(i)
	}
	if s.Antennas > 0 {
		c.Diversity = device.Some(diversity(s.Diversity[:s.Antennas]))
	}
	c.AudioLevelDBFS = device.Some(s.AudioLevelDBFS())
	if p, ok := s.AudioPeakDBFS(); ok {
		c.AudioPeakDBFS = device.Some(p)
	}
	if s.Layout == FamilyAD {
		c.AudioPeak = device.Some(s.Clipped())
		c.Quality, c.QualityMax = ranged(s.Quality, 0, 5), 5
	}
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
