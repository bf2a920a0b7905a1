package sennheiser

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"micboard/app/device"
)

// G4Port is the UDP port of the ew G3/G4 media control protocol.
const G4Port = 53212

// The ew G4 protocol, as Sennheiser's TI 1254 ("Metro Mediensteuerung ew
// G4") describes it and lclbo/RFjs (rfjs_server.js) and
// companion-module-sennheiser-evolutionwireless (src/api.ts) read it: plain
// text lines ended by CR, one command per line, over UDP 53212. A client
// asks for pushed updates with `Push <timeout s> <interval ms> <flags>`
// (RFjs: "Push 100 100 7" for meters, "Push 0 0 1" for the configuration;
// Companion: "Push 60 <rate> 3", renewed every minute); the receiver then
// sends lines such as "Name DEMO 002", "Frequency 684000", "RF 57 1 0",
// "AF 12 30 0", "Bat 3", "Msg Low_Batt".

// maxG4Line bounds one line: the longest documented line is a name of a few
// characters; a longer one is noise.
const maxG4Line = 256

// G4Line is one decoded line: its keyword and the words after it.
type G4Line struct {
	Key  string // as sent, e.g. "RF1"
	Args []string
	Rest string // everything after the keyword, trimmed (names keep their spaces)
}

// DecodeG4 splits a datagram into lines (CR, LF or both end a line) and
// words. It never fails: lines that are empty, too long or hold control
// characters are dropped, and the count of dropped lines is returned so the
// client can log a device that answers something unexpected.
func DecodeG4(p []byte) (lines []G4Line, dropped int) {
	for _, raw := range strings.FieldsFunc(string(p), func(r rune) bool { return r == '\r' || r == '\n' }) {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		if len(line) > maxG4Line || strings.IndexFunc(line, func(r rune) bool {
			return unicode.IsControl(r) && r != '\t' || r == unicode.ReplacementChar
		}) >= 0 {
			dropped++
			continue
		}
		f := strings.Fields(line)
		l := G4Line{Key: f[0], Args: f[1:]}
		l.Rest = strings.TrimSpace(strings.TrimPrefix(line, f[0]))
		lines = append(lines, l)
	}
	return lines, dropped
}

// EncodeG4Push builds `Push <timeout> <interval> <flags>` + CR.
func EncodeG4Push(timeoutS, intervalMS, flags int) []byte {
	return []byte(fmt.Sprintf("Push %d %d %d\r", max(0, timeoutS), max(0, intervalMS), max(0, flags)))
}

// EncodeG4 builds one command line: a query ("Name") without args, a set
// ("Name HH01") with them.
func EncodeG4(cmd string, args ...string) []byte {
	if len(args) == 0 {
		return []byte(cmd + "\r")
	}
	return []byte(cmd + " " + strings.Join(args, " ") + "\r")
}

// G4MaxName is the longest name an ew G4 receiver stores.
const G4MaxName = 8

// ApplyG4 maps decoded lines onto r (one channel: an EM 300-500 G4 is a
// single receiver) and reports whether anything changed and the
// configuration counter if the device sent one. Unknown keywords and
// malformed values are skipped.
func ApplyG4(r *device.Reading, lines []G4Line) (changed bool, config int, hasConfig bool) {
	var c *device.ChannelReading
	created := r.Channels[1] == nil
	if len(lines) > 0 {
		c = r.Channel(1)
	}
	chanFacts := false
	for _, l := range lines {
		switch strings.ToLower(l.Key) {
		case "name":
			if l.Rest == "" {
				continue
			}
			r.Name = device.Some(l.Rest)
			c.Name = device.Some(l.Rest)
		case "frequency":
			if f, ok := g4Int(l, 0, 1, 10_000_000); ok {
				c.FrequencyKHz = device.Some(f)
			} else {
				continue
			}
		case "rf":
			// RF <level %> <antenna 1|2> <pilot>: the receiver's own 0–100 %
			// meter, not dBm, so it goes to Quality rather than RFLevelDBm.
			lvl, ok := g4Int(l, 0, 0, 100)
			if !ok {
				continue
			}
			c.Quality, c.QualityMax = device.Some(lvl), 100
			if ant, ok := g4Int(l, 1, 1, 2); ok {
				d := "AX"
				if ant == 2 {
					d = "XB"
				}
				if lvl == 0 {
					d = "XX"
				}
				c.Diversity = device.Some(d)
			}
		case "af":
			// AF <peak %> <hold %> <mute flags>: bit 0 any mute in the last
			// cycle (RFjs). The meter is a percentage of the display, not
			// dBFS, so only the mute is taken.
			if m, ok := g4Int(l, 2, 0, 255); ok {
				c.Muted = device.Some(m&1 != 0)
			} else {
				continue
			}
		case "bat":
			if len(l.Args) == 0 {
				continue
			}
			if l.Args[0] == "?" {
				c.BatteryPercent = device.Unknown[int]()
				continue
			}
			p, ok := g4Int(l, 0, 0, 100)
			if !ok {
				continue
			}
			c.BatteryPercent = device.Some(p)
		case "msg":
			// "OK", "RF_Mute", "Low_Batt", "AF_Peak"... one warning at a time.
			w := strings.TrimSpace(l.Rest)
			if w == "" {
				continue
			}
			key := warnKey(w)
			if key == "OK" {
				c.Warnings = device.Some([]string{})
			} else {
				c.Warnings = device.Some([]string{w})
			}
			c.AudioPeak = device.Some(key == "AFPEAK")
			if key == "RFMUTE" {
				// The squelch is closed: no transmitter heard, so its
				// battery is not known any more.
				c.Quality, c.QualityMax = device.Some(0), 100
				c.BatteryPercent = device.Unknown[int]()
			}
		case "config":
			n, ok := g4Int(l, 0, 0, 1<<30)
			if !ok {
				continue
			}
			config, hasConfig = n, true
		default:
			continue
		}
		changed = true
		chanFacts = chanFacts || !strings.EqualFold(l.Key, "config")
	}
	if changed {
		r.Family = device.Some(FamilyEWG4.Info().DeviceType)
		r.Kind = device.Some(device.KindReceiver)
	}
	if c != nil && created && !chanFacts {
		delete(r.Channels, 1)
		if len(r.Channels) == 0 {
			r.Channels = nil
		}
	}
	return changed, config, hasConfig
}

func g4Int(l G4Line, i, lo, hi int) (int, bool) {
	if i >= len(l.Args) {
		return 0, false
	}
	n, err := strconv.Atoi(l.Args[i])
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}
