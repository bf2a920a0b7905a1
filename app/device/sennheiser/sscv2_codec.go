package sennheiser

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"micboard/app/device"
)

// SSCv2 (EW-DX firmware 4 and later) is HTTPS REST plus server-sent events.
// What this file reads follows the EW-DX service API (OpenAPI 3.1,
// "EW-DX service API" 1.7, shipped as api_docs.json in
// bitfocus/companion-module-sennheiser-ewdx) and how that module's SSCv2
// receiver (src/ewdxReceiverSCPv2.ts) reads the stream:
//   - resources are 0-based: /api/channel/{0..3}, /api/rf/channels/{i},
//     /api/transmitters/{i}; Micboard's channel n is index n-1;
//   - /api/device/identity {product: EWDX2CHS|EWDX2CHDS|EWDX4CHDS, serial,
//     hardwareRevision, vendor}; /api/device/site {deviceName, location};
//     /api/firmware/update/state {deviceVersion};
//   - /api/channel/{i} {name (<= 8), mute, gain}; .../warnings [Aes256Error,
//     LowSignal, NoLink, RfPeak, AfPeak]; .../signalStrengthIndicator,
//     signalQualityIndicator, diversityIndicator, level: {value};
//   - /api/rf/channels/{i} {frequency (kHz), presets};
//   - /api/transmitters/{i} {type, name, ...}; .../battery {type:
//     Battery|PrimaryCell|NoBattery, lifetime (min), gauge (%)};
//     .../warnings [LowBattery, AfPeak]; 422 when no transmitter is linked;
//   - GET /api/ssc/state/subscriptions opens the stream; its first event is
//     `event:open` with data {"path":"/api/ssc/state/subscriptions/<uuid>",
//     "sessionUUID":"<uuid>"}; PUT of a JSON array of resource paths to that
//     path sets what is pushed; every later event's data is an object
//     {"/path": value} per changed resource.

// SSCv2Port is where SSCv2 devices serve HTTPS.
const SSCv2Port = 443

// DefaultV2User is the user the EW-DX API gives third parties.
const DefaultV2User = "api"

// MaxV2Event bounds one server-sent event (and one REST answer): the
// largest documented resource is a few hundred bytes.
const MaxV2Event = 1 << 20

// SSEEvent is one server-sent event: its name ("" for the default
// "message") and its data lines joined by "\n".
type SSEEvent struct {
	Name string
	Data []byte
}

// SSEReader splits a text/event-stream into events (WHATWG HTML, "Server-sent
// events": lines "field: value", a blank line ends an event, lines starting
// with ':' are comments). The space after the colon is optional, as the
// EW-DX document writes "data:{...}" and Companion reads "data: {...}".
type SSEReader struct {
	r   *bufio.Reader
	max int
}

// NewSSEReader reads events from r.
func NewSSEReader(r io.Reader) *SSEReader {
	return &SSEReader{r: bufio.NewReaderSize(r, 4096), max: MaxV2Event}
}

// ErrEventTooLarge: an event or line exceeded MaxV2Event.
var ErrEventTooLarge = errors.New("sennheiser: server-sent event too large")

// Next returns the next event with data, or the read error (io.EOF when the
// stream ended cleanly).
func (s *SSEReader) Next() (SSEEvent, error) {
	var ev SSEEvent
	var data []byte
	hasData := false
	for {
		line, err := s.line()
		if err != nil {
			return SSEEvent{}, err
		}
		if len(line) == 0 {
			if hasData {
				ev.Data = data
				return ev, nil
			}
			ev = SSEEvent{}
			continue
		}
		if line[0] == ':' {
			continue // comment, often a keep-alive
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			ev.Name = string(value)
		case "data":
			if hasData {
				data = append(data, '\n')
			}
			if len(data)+len(value) > s.max {
				return SSEEvent{}, ErrEventTooLarge
			}
			data = append(data, value...)
			hasData = true
		}
	}
}

// line reads one line without its end (LF or CRLF).
func (s *SSEReader) line() ([]byte, error) {
	var out []byte
	for {
		chunk, err := s.r.ReadSlice('\n')
		if len(out)+len(chunk) > s.max {
			return nil, ErrEventTooLarge
		}
		out = append(out, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(out) > 0 {
				// A last line without its end: the stream was cut.
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		out = out[:len(out)-1]
		return bytes.TrimSuffix(out, []byte("\r")), nil
	}
}

// ParseOpenEvent reads the session UUID from the stream's first event. The
// UUID goes into request paths, so only hex digits and hyphens pass.
func ParseOpenEvent(data []byte) (string, error) {
	var open struct {
		Path        string `json:"path"`
		SessionUUID string `json:"sessionUUID"`
	}
	if err := json.Unmarshal(data, &open); err != nil {
		return "", fmt.Errorf("%w: open event: %w", ErrMalformed, err)
	}
	id := open.SessionUUID
	if id == "" && strings.HasPrefix(open.Path, "/api/ssc/state/subscriptions/") {
		id = strings.TrimPrefix(open.Path, "/api/ssc/state/subscriptions/")
	}
	if id == "" || len(id) > 64 || strings.Trim(id, "0123456789abcdefABCDEF-") != "" {
		return "", fmt.Errorf("%w: open event without a usable sessionUUID", ErrMalformed)
	}
	return id, nil
}

// DecodeV2 parses one event's data (or one REST answer wrapped by the
// caller as {path: body}): a JSON object whose keys are resource paths.
// Leaves come back sorted by path; values are as encoding/json gives them
// with UseNumber.
func DecodeV2(data []byte) ([]Leaf, error) {
	if len(data) > MaxV2Event {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if obj == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	leaves := make([]Leaf, 0, len(obj))
	for k, v := range obj {
		leaves = append(leaves, Leaf{Path: k, Value: v})
	}
	slices.SortFunc(leaves, func(a, b Leaf) int { return strings.Compare(a.Path, b.Path) })
	return leaves, nil
}

// decodeBody parses a REST answer's JSON body into a value.
func decodeBody(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return v, nil
}

// v2Path splits a resource path, with or without the /api prefix (the
// API document's subscription examples leave it off, Companion keeps it).
func v2Path(p string) []string {
	p = strings.TrimPrefix(strings.TrimSpace(p), "/")
	p = strings.TrimPrefix(p, "api/")
	return strings.Split(p, "/")
}

// v2Index parses a 0-based resource index as Micboard's 1-based channel.
func v2Index(s string) (int, bool) {
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || i > 63 {
		return 0, false
	}
	return i + 1, true
}

// ApplyV2 maps SSCv2 resources onto r and reports whether r changed.
// Unknown resources and values of the wrong shape are ignored, so a newer
// firmware's extra fields cost nothing.
func ApplyV2(r *device.Reading, leaves []Leaf) bool {
	changed := false
	for _, l := range leaves {
		if applyV2(r, v2Path(l.Path), l.Value) {
			changed = true
		}
	}
	if changed {
		// Only the EW-DX serves this API.
		setFamily(r, FamilyEWDX)
	}
	return changed
}

func applyV2(r *device.Reading, segs []string, v any) bool {
	obj, isObj := v.(map[string]any)
	switch {
	case len(segs) == 2 && segs[0] == "device" && segs[1] == "identity" && isObj:
		ok := false
		for _, f := range []string{"product", "serial", "version"} {
			if x, has := obj[f]; has && applyLeaf(r, "/device/identity/"+f, x) {
				ok = true
			}
		}
		return ok
	case len(segs) == 2 && segs[0] == "device" && segs[1] == "site" && isObj:
		if x, has := obj["deviceName"]; has {
			return setString(&r.Name, x)
		}
	case len(segs) == 3 && segs[0] == "firmware" && segs[1] == "update" && segs[2] == "state" && isObj:
		if x, has := obj["deviceVersion"]; has {
			return setString(&r.Firmware, x)
		}
	case len(segs) >= 2 && segs[0] == "channel":
		n, ok := v2Index(segs[1])
		if !ok {
			return false
		}
		if len(segs) == 2 {
			if !isObj {
				return false
			}
			changed := false
			for _, f := range []string{"name", "mute", "gain"} {
				if x, has := obj[f]; has && applyRx(r, n, f, x) {
					changed = true
				}
			}
			return changed
		}
		if len(segs) != 3 {
			return false
		}
		if segs[2] == "warnings" {
			return applyRx(r, n, "warnings", v)
		}
		meter := map[string]string{
			"signalStrengthIndicator": "rssi", "signalQualityIndicator": "rsqi",
			"level": "af", "diversityIndicator": "divi",
		}[segs[2]]
		if meter == "" || !isObj {
			return false
		}
		x, has := obj["value"]
		return has && applyMeter(r, n, meter, x)
	case len(segs) == 3 && segs[0] == "rf" && segs[1] == "channels" && isObj:
		n, ok := v2Index(segs[2])
		if !ok {
			return false
		}
		if x, has := obj["frequency"]; has {
			return applyRx(r, n, "frequency", x)
		}
	case len(segs) >= 2 && segs[0] == "transmitters":
		n, ok := v2Index(segs[1])
		if !ok {
			return false
		}
		return applyV2Transmitter(r, n, segs[2:], v)
	}
	return false
}

// applyV2Transmitter reads /api/transmitters/{i}[/battery|/warnings]. A
// null resource means no transmitter is linked (the REST answer is then
// 422), as does battery type "NoBattery" for the battery facts.
func applyV2Transmitter(r *device.Reading, n int, rest []string, v any) bool {
	obj, isObj := v.(map[string]any)
	switch {
	case len(rest) == 0:
		if v == nil {
			txAbsent(r.Channel(n))
			return true
		}
		if !isObj {
			return false
		}
		if x, has := obj["type"]; has {
			return applyMate(r, n, []string{"type"}, x)
		}
	case len(rest) == 1 && rest[0] == "battery":
		if v == nil {
			txAbsent(r.Channel(n))
			return true
		}
		if !isObj {
			return false
		}
		if t, _ := obj["type"].(string); t == "NoBattery" {
			c := r.Channel(n)
			c.BatteryPercent = device.Unknown[int]()
			c.BatteryMinutes, c.BatteryRuntime = device.Unknown[int](), device.RuntimeUnknown
			c.BatteryType = device.Unknown[string]()
			return true
		}
		changed := false
		for _, f := range []string{"gauge", "lifetime", "type"} {
			if x, has := obj[f]; has && applyMate(r, n, []string{"battery", f}, x) {
				changed = true
			}
		}
		return changed
	case len(rest) == 1 && rest[0] == "warnings":
		return applyMate(r, n, []string{"warnings"}, v)
	}
	return false
}
