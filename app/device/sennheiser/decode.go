package sennheiser

import (
	"strconv"
	"strings"

	"micboard/app/device"
)

// Apply maps a decoded message onto r: values at the EW-DX and Digital 6000
// paths, and 424 errors on /mates/tx{n} (transmitter absent → its battery
// and type become unknown). Unknown paths and values of the wrong type are
// ignored. It reports whether r changed. A value only one family's tree
// holds also sets r.Family, so a device is known by what it answers, not
// by its product name.
func Apply(r *device.Reading, m *Message) bool {
	changed := false
	for _, l := range m.Leaves {
		if applyLeaf(r, l.Path, l.Value) {
			changed = true
			if f := familyOfPath(l.Path); f != FamilyUnknown {
				setFamily(r, f)
			}
		}
	}
	for _, e := range m.Errors {
		if e.Code != CodeTxAbsent {
			continue
		}
		if n, ok := mateChannel(e.Path); ok {
			txAbsent(r.Channel(n))
			changed = true
		}
	}
	return changed
}

// txAbsent marks everything Micboard reads from a transmitter as unknown, so
// the board shows the last known level as "previous" rather than stale.
func txAbsent(c *device.ChannelReading) {
	c.BatteryPercent = device.Unknown[int]()
	c.BatteryMinutes, c.BatteryRuntime = device.Unknown[int](), device.RuntimeUnknown
	c.BatteryType = device.Unknown[string]()
	c.TxModel = device.Unknown[string]()
}

func mateChannel(path string) (int, bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(segs) < 2 || segs[0] != "mates" {
		return 0, false
	}
	return index(segs[1], "tx")
}

// index parses "rx3" with prefix "rx" as 3.
func index(seg, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(seg, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || n > 64 {
		return 0, false
	}
	return n, true
}

func applyLeaf(r *device.Reading, path string, v any) bool {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case len(segs) == 2 && segs[0] == "device" && segs[1] == "name":
		return setString(&r.Name, v)
	case len(segs) == 3 && segs[0] == "device" && segs[1] == "identity":
		switch segs[2] {
		case "version":
			return setString(&r.Firmware, v)
		case "serial":
			return setString(&r.Serial, v)
		case "product":
			s, ok := v.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return false
			}
			r.Model = device.Some(strings.TrimSpace(s))
			fam, p, _ := LookupProduct(s)
			if p.Channels > 0 {
				r.ChannelCount = device.Some(p.Channels)
			}
			if fam != FamilyUnknown {
				setFamily(r, fam)
			}
			return true
		}
	case len(segs) == 1 && segs[0] == "mm":
		return applyMM(r, v)
	case len(segs) == 2:
		if n, ok := index(segs[0], "rx"); ok {
			return applyRx(r, n, segs[1], v)
		}
	case len(segs) == 3 && segs[1] == "skx":
		if n, ok := index(segs[0], "rx"); ok {
			return applySKX(r, n, segs[2], v)
		}
	case len(segs) == 3 && segs[0] == "m":
		if n, ok := index(segs[1], "rx"); ok {
			return applyMeter(r, n, segs[2], v)
		}
	case len(segs) >= 3 && segs[0] == "mates":
		if n, ok := index(segs[1], "tx"); ok {
			return applyMate(r, n, segs[2:], v)
		}
	}
	return false
}

func applyRx(r *device.Reading, n int, field string, v any) bool {
	switch field {
	case "name":
		s, ok := v.(string)
		if !ok {
			return false
		}
		r.Channel(n).Name = device.Some(s)
	case "frequency", "carrier": // EW-DX, Digital 6000
		f, ok := intOf(v)
		if !ok {
			return false
		}
		if f <= 0 {
			r.Channel(n).FrequencyKHz = device.Unknown[int]()
		} else {
			r.Channel(n).FrequencyKHz = device.Some(int(f))
		}
	case "mute", "audio_mute": // EW-DX, Digital 6000
		b, ok := boolOf(v)
		if !ok {
			return false
		}
		r.Channel(n).Muted = device.Some(b)
	case "gain":
		f, ok := floatOf(v)
		if !ok {
			return false
		}
		r.Channel(n).Gain = device.Some(f)
	case "warnings", "active_warnings": // EW-DX, Digital 6000
		ws, ok := stringList(v)
		if !ok {
			return false
		}
		applyRxWarnings(r.Channel(n), ws)
	default:
		return false
	}
	return true
}

func applyMeter(r *device.Reading, n int, field string, v any) bool {
	f, ok := floatOf(v)
	if !ok {
		return false
	}
	switch field {
	case "rssi":
		r.Channel(n).RFLevelDBm = []float64{f}
	case "rsqi":
		c := r.Channel(n)
		q := int(f)
		if q < 0 || q > 100 {
			c.Quality = device.Unknown[int]()
		} else {
			c.Quality = device.Some(q)
		}
		c.QualityMax = 100
	case "af":
		r.Channel(n).AudioLevelDBFS = device.Some(f)
	case "divi":
		// 0 none, 1 antenna A, 2 antenna B → the letters ULX-D uses.
		var d string
		switch int(f) {
		case 0:
			d = "XX"
		case 1:
			d = "AX"
		case 2:
			d = "XB"
		default:
			return false
		}
		r.Channel(n).Diversity = device.Some(d)
	default:
		return false
	}
	return true
}

func applyMate(r *device.Reading, n int, rest []string, v any) bool {
	switch {
	case len(rest) == 1 && rest[0] == "warnings":
		ws, ok := stringList(v)
		if !ok {
			return false
		}
		applyTxWarnings(r.Channel(n), ws)
	case len(rest) == 1 && rest[0] == "type":
		s, ok := v.(string)
		if !ok {
			return false
		}
		if s == "" || strings.EqualFold(s, "unknown") {
			r.Channel(n).TxModel = device.Unknown[string]()
		} else {
			r.Channel(n).TxModel = device.Some(s)
		}
	case len(rest) == 2 && rest[0] == "battery":
		switch rest[1] {
		case "gauge":
			g, ok := intOf(v)
			if !ok {
				return false
			}
			if g < 0 || g > 100 {
				r.Channel(n).BatteryPercent = device.Unknown[int]()
			} else {
				r.Channel(n).BatteryPercent = device.Some(int(g))
			}
		case "lifetime":
			m, ok := intOf(v)
			if !ok {
				return false
			}
			c := r.Channel(n)
			if m < 0 {
				c.BatteryMinutes, c.BatteryRuntime = device.Unknown[int](), device.RuntimeUnknown
			} else {
				c.BatteryMinutes, c.BatteryRuntime = device.Some(int(m)), device.RuntimeValid
			}
		case "type":
			s, ok := v.(string)
			if !ok {
				return false
			}
			if s == "" {
				r.Channel(n).BatteryType = device.Unknown[string]()
			} else {
				r.Channel(n).BatteryType = device.Some(s)
			}
		default:
			return false
		}
	default:
		return false
	}
	return true
}

func setString(o *device.Opt[string], v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	*o = device.Some(s)
	return true
}

// boolOf accepts JSON booleans, 0/1 and "on"/"off" (leniency for firmware
// that encodes switches differently).
func boolOf(v any) (bool, bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "true", "on", "1":
			return true, true
		case "false", "off", "0":
			return false, true
		}
		return false, false
	}
	if n, ok := intOf(v); ok && (n == 0 || n == 1) {
		return n == 1, true
	}
	return false, false
}

// setFamily records what the device turned out to be.
func setFamily(r *device.Reading, f Family) {
	fi := f.Info()
	r.Family = device.Some(fi.DeviceType)
	r.Kind = device.Some(kindOf(f))
}

// familyOfPath names the family whose tree alone holds path: Digital 6000
// meters at /mm and keeps its carrier, warnings and transmitter under
// /rx{n}; EW-DX meters under /m and its transmitters under /mates.
func familyOfPath(path string) Family {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case segs[0] == "mm":
		return FamilyEM6000
	case segs[0] == "m" || segs[0] == "mates":
		return FamilyEWDX
	case len(segs) >= 2 && strings.HasPrefix(segs[0], "rx"):
		switch segs[1] {
		case "carrier", "audio_mute", "active_warnings", "skx":
			return FamilyEM6000
		case "frequency", "warnings":
			return FamilyEWDX
		}
	}
	return FamilyUnknown
}

// stringList accepts a JSON list of strings (other elements are skipped)
// and, leniently, one string ("" meaning none) as the ew D1 guide shows for
// /mates/tx1/warnings.
func stringList(v any) ([]string, bool) {
	switch t := v.(type) {
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
		return out, true
	case string:
		if strings.TrimSpace(t) == "" {
			return []string{}, true
		}
		return []string{strings.TrimSpace(t)}, true
	}
	return nil, false
}

// warnKey folds the spellings of one warning together: "AfPeak" (EW-DX),
// "AFPeak" (Digital 6000), "Low Bat" (ew D1), "LowBattery".
func warnKey(s string) string { return normProduct(s) }

// applyRxWarnings maps a receiver channel's warning list (EW-DX
// /rx{n}/warnings: Aes256Error, LowSignal, NoLink, RfPeak, AfPeak; Digital
// 6000 /rx{n}/active_warnings adds LowBattery, BadClock, NoClock...) onto
// the vendor-neutral facts. The list is the whole state: a warning missing
// from it has cleared.
func applyRxWarnings(c *device.ChannelReading, ws []string) {
	var peak, rfPeak, low, noLink, lowBatt bool
	for _, w := range ws {
		switch warnKey(w) {
		case "AFPEAK":
			peak = true
		case "RFPEAK":
			rfPeak = true
		case "LOWSIGNAL":
			low = true
		case "NOLINK":
			noLink = true
		case "LOWBATTERY", "LOWBAT":
			lowBatt = true
		}
	}
	c.Warnings = device.Some(ws)
	c.AudioPeak = device.Some(peak)
	c.RFPeak = device.Some(rfPeak)
	c.LowSignal = device.Some(low || noLink)
	if noLink {
		// No link is what RSQI 0 means on EW-DX: no transmitter heard.
		c.Quality, c.QualityMax = device.Some(0), 100
	}
	if lowBatt && !c.BatteryBars.Set {
		// Digital 6000 reports a low transmitter battery here; one bar is
		// the board's "critical" without inventing a percentage.
		c.BatteryBars = device.Some(1)
	}
}

// applyTxWarnings maps a transmitter's warning list (EW-DX
// /mates/tx{n}/warnings: LowBattery, AfPeak) onto the reading. A peak the
// transmitter reports adds to the receiver's; its absence clears nothing,
// since the receiver's own list says whether the channel clips.
func applyTxWarnings(c *device.ChannelReading, ws []string) {
	c.TxWarnings = device.Some(ws)
	for _, w := range ws {
		if warnKey(w) == "AFPEAK" {
			c.AudioPeak = device.Some(true)
		}
	}
}

// mmFields is the length of one channel's row in the Digital 6000 /mm
// metering array: RF1, RF1 peak, RF2, RF2 peak, DIV1, DIV2, LQI, AF, AF peak.
const mmFields = 9

// applyMM decodes Digital 6000 metering (SSC Developer's guide for Digital
// 6000, TI 1109 §8.100): a 2x9 array of raw bytes, one row per channel.
// RF dBm = (v-255)/2; LQI 0..255 (255 best); AF dBFS = (v+1)/2-128; the
// peaks and diversity flags are 0/1. A row of zeros is a channel without a
// link; values outside 0..255 make the row unusable and it is skipped.
func applyMM(r *device.Reading, v any) bool {
	rows, ok := v.([]any)
	if !ok {
		return false
	}
	changed := false
	for i, row := range rows {
		if i >= 8 {
			break
		}
		vals, ok := row.([]any)
		if !ok || len(vals) < mmFields {
			continue
		}
		var b [mmFields]int
		good := true
		for k := 0; k < mmFields; k++ {
			n, ok := intOf(vals[k])
			if !ok || n < 0 || n > 255 {
				good = false
				break
			}
			b[k] = int(n)
		}
		if !good {
			continue
		}
		c := r.Channel(i + 1)
		rf1, rf2 := float64(b[0]-255)/2, float64(b[2]-255)/2
		c.RFLevelDBm = []float64{rf1, rf2}
		div := []byte{'X', 'X'}
		if b[4] != 0 {
			div[0] = 'A'
		}
		if b[5] != 0 {
			div[1] = 'B'
		}
		c.Diversity = device.Some(string(div))
		c.RFPeak = device.Some(b[1] != 0 || b[3] != 0)
		c.Quality, c.QualityMax = device.Some(b[6]), 255
		c.AudioLevelDBFS = device.Some(float64(b[7]+1)/2 - 128)
		c.AudioPeak = device.Some(b[8] != 0)
		changed = true
	}
	return changed
}

// applySKX reads the Digital 6000 transmitter facts under /rx{n}/skx.
func applySKX(r *device.Reading, n int, field string, v any) bool {
	c := r.Channel(n)
	switch field {
	case "battery":
		// TI 1109 §8.27: ["70%","5:12"]; states 100%, 70%, 30%, low; time
		// "h:mm" or "-:--"; [] when no transmitter is present.
		list, ok := v.([]any)
		if !ok {
			return false
		}
		if len(list) == 0 {
			txAbsent(c)
			return true
		}
		state, _ := list[0].(string)
		state = strings.ToLower(strings.TrimSpace(state))
		switch {
		case state == "low":
			// Below the 30 % step: the board's "critical" without a
			// made-up percentage.
			c.BatteryBars = device.Some(1)
			c.BatteryPercent = device.Unknown[int]()
		case strings.HasSuffix(state, "%"):
			p, err := strconv.Atoi(strings.TrimSuffix(state, "%"))
			if err != nil || p < 0 || p > 100 {
				c.BatteryPercent = device.Unknown[int]()
			} else {
				c.BatteryPercent = device.Some(p)
			}
		default:
			c.BatteryPercent = device.Unknown[int]()
		}
		if len(list) > 1 {
			t, _ := list[1].(string)
			if m, ok := hoursMinutes(t); ok {
				c.BatteryMinutes, c.BatteryRuntime = device.Some(m), device.RuntimeValid
			} else {
				c.BatteryMinutes, c.BatteryRuntime = device.Unknown[int](), device.RuntimeUnknown
			}
		}
	case "type":
		// A string, or an object with the type inside, as the Companion
		// module reads it (src/updatevariables.js skx.type.type).
		var s string
		switch t := v.(type) {
		case string:
			s = t
		case map[string]any:
			s, _ = t["type"].(string)
		default:
			return false
		}
		if s = strings.TrimSpace(s); s == "" {
			c.TxModel = device.Unknown[string]()
		} else {
			c.TxModel = device.Some(s)
		}
	default:
		return false
	}
	return true
}

// hoursMinutes parses "5:12" as 312 minutes; "-:--" and anything else is
// not a time.
func hoursMinutes(s string) (int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 1000 {
		return 0, false
	}
	return hh*60 + mm, true
}
