package sennheiser

import (
	"strconv"
	"strings"

	"micboard/app/device"
)

// ChannelsOf maps a product name to its channel count: "EW-DX EM 4" (Dante
// or not) → 4, "EW-DX EM 2" → 2, Digital 6000 "EM 6000" → 2. 0 means the
// product is not recognised (probe /rx3 instead).
func ChannelsOf(product string) int {
	p := strings.ToUpper(strings.Join(strings.Fields(product), ""))
	switch {
	case strings.Contains(p, "EM4"):
		return 4
	case strings.Contains(p, "EM2"), strings.Contains(p, "EM6000"):
		return 2
	}
	return 0
}

// Apply maps a decoded message onto r: values at the EW-DX paths, and 424
// errors on /mates/tx{n} (transmitter absent → its battery and type become
// unknown). Unknown paths and values of the wrong type are ignored. It
// reports whether r changed.
func Apply(r *device.Reading, m *Message) bool {
	changed := false
	for _, l := range m.Leaves {
		if applyLeaf(r, l.Path, l.Value) {
			changed = true
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
			if !ok {
				return false
			}
			r.Model = device.Some(s)
			if n := ChannelsOf(s); n > 0 {
				r.ChannelCount = device.Some(n)
			}
			return true
		}
	case len(segs) == 2:
		if n, ok := index(segs[0], "rx"); ok {
			return applyRx(r, n, segs[1], v)
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
	case "frequency":
		f, ok := intOf(v)
		if !ok {
			return false
		}
		if f <= 0 {
			r.Channel(n).FrequencyKHz = device.Unknown[int]()
		} else {
			r.Channel(n).FrequencyKHz = device.Some(int(f))
		}
	case "mute":
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
	case "warnings":
		list, ok := v.([]any)
		if !ok {
			return false
		}
		peak := false
		for _, w := range list {
			if s, ok := w.(string); ok && strings.EqualFold(s, "AfPeak") {
				peak = true
			}
		}
		r.Channel(n).AudioPeak = device.Some(peak)
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
