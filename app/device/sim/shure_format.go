package sim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Wire widths of brace-padded strings (PROTOCOLS.md §1).
const (
	widthName31  = 31 // CHAN_NAME on AD/SLX-D, DEVICE_ID
	widthName8   = 8  // CHAN_NAME on ULX-D/QLX-D: the whole stored name
	widthFW      = 24
	widthModel   = 32
	unknown3     = "255"
	unknownMins  = "65535"
	maxMeterRate = 99999
	minMeterRate = 100 // faster rates lock up real firmware; refuse them
)

// brace wraps s in braces, right-padded with spaces to width.
func brace(s string, width int) string {
	if len(s) > width {
		s = s[:width]
	}
	return "{" + s + strings.Repeat(" ", width-len(s)) + "}"
}

func d3(v int) string { return fmt.Sprintf("%03d", v) }
func d5(v int) string { return fmt.Sprintf("%05d", v) }

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

// shureParam is one channel parameter: how to render it and, if settable,
// how to apply a SET. set returns false for a value the receiver rejects.
type shureParam struct {
	name string
	get  func(r *Receiver, c *channel) string
	set  func(r *Receiver, c *channel, v string) bool
}

// parseDigits accepts 1..maxLen ASCII digits.
func parseDigits(v string, maxLen int) (int, bool) {
	if v == "" || len(v) > maxLen {
		return 0, false
	}
	for _, b := range []byte(v) {
		if b < '0' || b > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// unbrace strips the braces a client may put around a string value and the
// padding inside them.
func unbrace(v string) string {
	if strings.HasPrefix(v, "{") {
		v = strings.TrimPrefix(v, "{")
		v = strings.TrimSuffix(v, "}")
	}
	return strings.TrimSpace(v)
}

func paramChanName(width int) shureParam {
	return shureParam{
		name: "CHAN_NAME",
		get:  func(_ *Receiver, c *channel) string { return brace(c.name, width) },
		set: func(r *Receiver, c *channel, v string) bool {
			name := unbrace(v)
			if validName(name, r.spec.nameMax) != nil {
				return false
			}
			c.name = name
			return true
		},
	}
}

func paramBars(name string) shureParam {
	return shureParam{name: name, get: func(_ *Receiver, c *channel) string {
		if !c.txOn {
			return unknown3
		}
		return d3(c.bars())
	}}
}

// paramMins reports runtime only for Shure rechargeables; alkaline cells have
// no fuel gauge, so real receivers send 65535 for them.
func paramMins(name string) shureParam {
	return shureParam{name: name, get: func(_ *Receiver, c *channel) string {
		if !c.txOn || c.battType != "LION" {
			return unknownMins
		}
		return d5(clampInt(c.minutes(), 0, 65532))
	}}
}

func paramCharge(name string) shureParam {
	return shureParam{name: name, get: func(_ *Receiver, c *channel) string {
		if !c.txOn || c.battType != "LION" {
			return unknown3
		}
		return d3(c.percent())
	}}
}

func paramBattType(name string) shureParam {
	return shureParam{name: name, get: func(_ *Receiver, c *channel) string {
		if !c.txOn {
			return "UNKN"
		}
		return c.battType
	}}
}

func paramTxModel(name, unknown string) shureParam {
	return shureParam{name: name, get: func(_ *Receiver, c *channel) string {
		if !c.txOn {
			return unknown
		}
		return c.txModel
	}}
}

// paramOffset renders the transmitter offset; bias is 0 on ULX-D (value is
// dB) and 12 on AD (dB = value - 12).
func paramOffset(bias int) shureParam {
	return shureParam{name: "TX_OFFSET", get: func(_ *Receiver, c *channel) string {
		if !c.txOn {
			return unknown3
		}
		return d3(c.offset + bias)
	}}
}

func paramFrequency(digits int) shureParam {
	return shureParam{
		name: "FREQUENCY",
		get:  func(_ *Receiver, c *channel) string { return fmt.Sprintf("%0*d", digits, c.freq) },
		set: func(r *Receiver, c *channel, v string) bool {
			f, ok := parseDigits(v, digits)
			if !ok || !r.validFreq(f) {
				return false
			}
			c.freq = f
			return true
		},
	}
}

var paramMute = shureParam{
	name: "AUDIO_MUTE",
	get: func(_ *Receiver, c *channel) string {
		if c.mute {
			return "ON"
		}
		return "OFF"
	},
	set: func(_ *Receiver, c *channel, v string) bool {
		switch strings.ToUpper(v) {
		case "ON":
			c.mute = true
		case "OFF":
			c.mute = false
		case "TOGGLE":
			c.mute = !c.mute
		default:
			return false
		}
		return true
	},
}

// paramGain: wire value 000-060, dB = value - 18.
var paramGain = shureParam{
	name: "AUDIO_GAIN",
	get:  func(_ *Receiver, c *channel) string { return d3(c.gain + 18) },
	set: func(_ *Receiver, c *channel, v string) bool {
		g, ok := parseDigits(v, 3)
		if !ok || g > 60 {
			return false
		}
		c.gain = g - 18
		return true
	},
}

var paramQuality = shureParam{name: "CHAN_QUALITY", get: func(_ *Receiver, c *channel) string {
	if !c.txOn {
		return unknown3
	}
	return d3(c.quality())
}}

// Channel parameters per family, in the order `GET x ALL` reports them.
// METER_RATE follows them; it is per client and handled by the server.
var shureParams = map[family][]shureParam{
	famULX: {
		paramChanName(widthName8),
		paramBars("BATT_BARS"),
		paramMins("BATT_RUN_TIME"),
		paramCharge("BATT_CHARGE"),
		paramBattType("BATT_TYPE"),
		paramTxModel("TX_TYPE", "UNKN"),
		paramOffset(0),
		paramFrequency(6),
		paramMute,
		paramGain,
	},
	famAD: {
		paramChanName(widthName31),
		paramBars("TX_BATT_BARS"),
		paramMins("TX_BATT_MINS"),
		paramCharge("TX_BATT_CHARGE_PERCENT"),
		paramBattType("TX_BATT_TYPE"),
		paramTxModel("TX_MODEL", "UNKNOWN"),
		paramOffset(12),
		paramFrequency(7),
		paramMute,
		paramGain,
		paramQuality,
	},
	famSLX: {
		paramChanName(widthName31),
		paramBars("TX_BATT_BARS"),
		paramMins("TX_BATT_MINS"),
		paramTxModel("TX_MODEL", "UNKNOWN"),
		paramFrequency(7),
		paramGain,
	},
}

// deviceParam is a parameter addressed without a channel index.
type deviceParam struct {
	name string
	get  func(r *Receiver) string
	set  func(r *Receiver, v string) bool
}

var shureDeviceParams = []deviceParam{
	{
		name: "DEVICE_ID",
		get:  func(r *Receiver) string { return brace(r.name, widthName31) },
		set: func(r *Receiver, v string) bool {
			name := unbrace(v)
			if validName(name, widthName31) != nil {
				return false
			}
			r.name = name
			return true
		},
	},
	{name: "MODEL", get: func(r *Receiver) string { return brace(r.spec.wireModel, widthModel) }},
	{name: "FW_VER", get: func(r *Receiver) string { return brace(r.spec.fw, widthFW) }},
	{name: "RF_BAND", get: func(r *Receiver) string { return r.spec.band }},
}

func findParam(f family, name string) (shureParam, bool) {
	for _, p := range shureParams[f] {
		if p.name == name {
			return p, true
		}
	}
	return shureParam{}, false
}

func findDeviceParam(name string) (deviceParam, bool) {
	for _, p := range shureDeviceParams {
		if p.name == name {
			return p, true
		}
	}
	return deviceParam{}, false
}

// Fixed "no transmitter" samples. The AD one is verbatim from PROTOCOLS.md.
const (
	sampleOffULX = "XX 000 000"
	sampleOffAD  = "255 000 005 033 XX 00 011 00 012"
	sampleOffSLX = "000 000 000"
)

// shureSample renders the values after `SAMPLE x ALL `. peak marks a clip
// the client has not been shown yet.
func shureSample(f family, c *channel, peak bool) string {
	rf := func(dBm float64, offset int, hi int) int {
		return clampInt(int(math.Round(dBm))+offset, 0, hi)
	}
	switch f {
	case famULX:
		if !c.txOn {
			return sampleOffULX
		}
		// ULX-D reports the antenna the diversity circuit picked, not both.
		ant := "XX"
		if c.bestRF() > noSignal {
			ant = "AX"
			if c.rfB > c.rfA {
				ant = "XB"
			}
		}
		aud := clampInt(int(math.Round(c.audio))+50, 0, 50)
		if peak {
			aud = 50
		}
		return fmt.Sprintf("%s %03d %03d", ant, rf(c.bestRF(), 128, 115), aud)
	case famAD:
		if !c.txOn {
			return sampleOffAD
		}
		rms := clampInt(int(math.Round(c.audio))+120, 0, 120)
		pk := clampInt(rms+6, 0, 120)
		bitmap := ledBits(c.audio, -40, -30, -20, -12, -6)
		if peak {
			pk, rms, bitmap = 120, max(rms, 112), 31|128
		}
		return fmt.Sprintf("%03d %03d %03d %03d %c%c %02d %03d %02d %03d",
			c.quality(), bitmap, pk, rms,
			adAntenna(c.rfA), adAntenna(c.rfB),
			ledBits(c.rfA, -95, -85, -75, -65, -55), rf(c.rfA, 120, 120),
			ledBits(c.rfB, -95, -85, -75, -65, -55), rf(c.rfB, 120, 120))
	case famSLX:
		if !c.txOn {
			return sampleOffSLX
		}
		rms := clampInt(int(math.Round(c.audio))+120, 0, 120)
		pk := clampInt(rms+6, 0, 120)
		if peak {
			pk, rms = 120, max(rms, 112)
		}
		return fmt.Sprintf("%03d %03d %03d", pk, rms, rf(c.bestRF(), 120, 120))
	}
	return ""
}

// ledBits lights one bit per threshold reached, like a five-LED meter.
func ledBits(v float64, thresholds ...float64) int {
	bits := 0
	for i, t := range thresholds {
		if v >= t {
			bits |= 1 << i
		}
	}
	return bits
}

// adAntenna: B (blue) carries a good signal, R (red) a weak one, X nothing.
func adAntenna(dBm float64) byte {
	switch {
	case dBm >= -85:
		return 'B'
	case dBm > noSignal:
		return 'R'
	}
	return 'X'
}

// tokenize splits a command on spaces, keeping a {braced value} whole.
func tokenize(msg string) []string {
	var toks []string
	for i := 0; i < len(msg); {
		switch msg[i] {
		case ' ', '\t', '\r', '\n':
			i++
			continue
		case '{':
			end := strings.IndexByte(msg[i:], '}')
			if end < 0 {
				toks = append(toks, msg[i:])
				return toks
			}
			toks = append(toks, msg[i:i+end+1])
			i += end + 1
			continue
		}
		j := i
		for j < len(msg) && msg[j] != ' ' && msg[j] != '\t' && msg[j] != '\r' && msg[j] != '\n' {
			j++
		}
		toks = append(toks, msg[i:j])
		i = j
	}
	return toks
}
