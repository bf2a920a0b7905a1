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
	// SLX-D+ as firmware 2.0.38.9 answers GET n ALL
	// (companion-module-shure-wireless docs/SLXDplus-protocol.md).
	famSLXPlus: {
		paramChanName(widthName31),
		paramTxModel("TX_MODEL", "UNKNOWN"),
		paramBars("TX_BATT_BARS"),
		paramMins("TX_BATT_MINS"),
		paramFrequency(7),
		paramGain,
		{name: "ANTENNA_STATUS", get: func(_ *Receiver, c *channel) string {
			if !c.txOn {
				return "XX"
			}
			if c.rfB > c.rfA {
				return "XB"
			}
			return "AX"
		}},
		{name: "LINK_STATUS", get: func(_ *Receiver, c *channel) string {
			if c.txOn {
				return "1 online"
			}
			return "1 offline"
		}},
	},
	// A receiver of no known family: only what every family shares.
	famUnlisted: {
		paramChanName(widthName31),
		paramBars("TX_BATT_BARS"),
		paramMins("TX_BATT_MINS"),
		paramTxModel("TX_MODEL", "UNKNOWN"),
		paramFrequency(7),
		paramMute,
		paramGain,
	},
	// PSM1000 P10T (companion-module-shure-psm1000 src/internalAPI.js).
	famP10T: {
		paramChanName(widthName8),
		paramFrequency(6),
		{name: "RF_TX_LVL", get: func(_ *Receiver, c *channel) string { return "50" }},
		{name: "RF_MUTE", get: func(_ *Receiver, c *channel) string {
			if c.txOn {
				return "0"
			}
			return "1"
		}},
		{name: "AUDIO_TX_MODE", get: func(*Receiver, *channel) string { return "3" }},
		{name: "AUDIO_IN_LINE_LVL", get: func(*Receiver, *channel) string { return "1" }},
	},
}

// slxPlusEmpty is what SLX-D+ answers to GET n ALL for a channel without a
// transmitter: a minimal subset (docs/SLXDplus-protocol.md "Empty-channel
// behaviour").
var slxPlusEmpty = map[string]bool{"TX_MODEL": true, "TX_BATT_BARS": true, "TX_BATT_MINS": true, "LINK_STATUS": true}

// deviceParam is a parameter addressed without a channel index.
type deviceParam struct {
	name string
	get  func(r *Receiver) string
	set  func(r *Receiver, v string) bool
}

// deviceParams lists the device-level parameters a family answers; what a
// family lacks it answers with silence or REP ERR (see shureServer.exec).
// ULX-D and QLX-D report no MODEL or RF_BAND and pad DEVICE_ID to 8 and
// FW_VER to 18 (companion-module-shure-wireless src/internalAPI.js);
// SLX-D and SLX-D+ pad DEVICE_ID to 8; PSM1000 names itself DEVICE_NAME.
func deviceParams(f family) []deviceParam {
	switch f {
	case famULX:
		return []deviceParam{deviceID(8), {name: "FW_VER", get: func(r *Receiver) string { return brace(r.spec.fw, 18) }}}
	case famSLX, famSLXPlus:
		return append([]deviceParam{deviceID(8)}, shureDeviceParams[1:]...)
	case famP10T:
		return []deviceParam{{name: "DEVICE_NAME", get: func(r *Receiver) string { return brace(r.name, widthName31) }}}
	}
	return shureDeviceParams
}

// silentParams are queries a family ignores outright: several references
// say ULX-D and QLX-D stay silent to GET MODEL.
func silentParam(f family, name string) bool {
	return f == famULX && (name == "MODEL" || name == "RF_BAND")
}

func deviceID(width int) deviceParam {
	return deviceParam{
		name: "DEVICE_ID",
		get:  func(r *Receiver) string { return brace(r.name, width) },
		set: func(r *Receiver, v string) bool {
			name := unbrace(v)
			if validName(name, width) != nil {
				return false
			}
			r.name = name
			return true
		},
	}
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
	{name: "MODEL", get: func(r *Receiver) string { return brace(r.product(), widthModel) }},
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

func findDeviceParam(f family, name string) (deviceParam, bool) {
	for _, p := range deviceParams(f) {
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
	case famSLX, famSLXPlus:
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
