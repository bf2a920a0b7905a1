// Package sennheiser speaks Sennheiser Sound Control Protocol v1 (SSC): one
// JSON object per UDP datagram, default port 45. It encodes reads, writes and
// subscriptions, decodes replies into device.Readings for EW-DX EM 2/EM 4
// (and compatible) receivers, and provides a device.Driver client.
package sennheiser

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// DefaultPort is SSC's UDP port (some Digital 6000 setups use 6970).
const DefaultPort = 45

// MaxDatagram is the largest UDP payload; nothing bigger can arrive.
const MaxDatagram = 65535

// SSC error codes Micboard acts on.
const (
	CodeSubscriptionEnded = 310
	CodeNotFound          = 404
	CodeNotAcceptable     = 406
	CodeTxAbsent          = 424 // the transmitter (mate) is not there
)

// ErrMalformed is wrapped by every decode error.
var ErrMalformed = errors.New("sennheiser: malformed message")

// Leaf is one value in a message, addressed by its path ("/rx1/name").
// Value is what encoding/json gives with UseNumber: json.Number, string,
// bool, []any, nil.
type Leaf struct {
	Path  string
	Value any
}

// PathError is one entry of an "osc":{"error":[...]} reply.
type PathError struct {
	Path string
	Code int
}

func (e PathError) Error() string {
	return fmt.Sprintf("ssc error %d at %s", e.Code, e.Path)
}

// Subscription holds the "#" parameters of a subscription: Min and Max are
// notification intervals in ms (0 = on change), Lifetime is in seconds, Count
// is how many notifications the device sends before ending it.
type Subscription struct {
	Min      int `json:"min"`
	Max      int `json:"max"`
	Lifetime int `json:"lifetime"`
	Count    int `json:"count"`
}

// DefaultSubscription is the subscription Micboard asks for.
var DefaultSubscription = Subscription{Min: 0, Max: 0, Lifetime: 60, Count: 1000}

// Message is one decoded datagram.
type Message struct {
	XID    int64
	HasXID bool
	// Leaves are the values outside "osc", sorted by path.
	Leaves []Leaf
	Errors []PathError
	// Subscriptions are the "#" parameters the device echoed for a
	// subscribe request (defaults filled in).
	Subscriptions []Subscription
	// Cancelled is set when the message confirms a subscription cancel (or,
	// on the device's side, asks for one); CancelPaths are the addresses it
	// names.
	Cancelled   bool
	CancelPaths []string
}

// Leaf returns the value at path, if the message has one.
func (m *Message) Leaf(path string) (any, bool) {
	i, ok := slices.BinarySearchFunc(m.Leaves, path, func(l Leaf, p string) int { return strings.Compare(l.Path, p) })
	if !ok {
		return nil, false
	}
	return m.Leaves[i].Value, true
}

// ErrorCode returns the error code reported for path, if any.
func (m *Message) ErrorCode(path string) (int, bool) {
	for _, e := range m.Errors {
		if e.Path == path {
			return e.Code, true
		}
	}
	return 0, false
}

// Decode parses one datagram. It is forgiving about what it does not know
// (unknown keys become leaves nobody reads) but the datagram must be one
// JSON object.
func Decode(b []byte) (Message, error) {
	var m Message
	if len(b) > MaxDatagram {
		return m, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return m, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return m, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	for _, k := range sortedKeys(obj) {
		if k == "osc" {
			m.decodeOSC(obj[k])
			continue
		}
		flatten("/"+k, obj[k], func(path string, v any) {
			m.Leaves = append(m.Leaves, Leaf{Path: path, Value: v})
		})
	}
	slices.SortFunc(m.Leaves, func(a, b Leaf) int { return strings.Compare(a.Path, b.Path) })
	return m, nil
}

func (m *Message) decodeOSC(v any) {
	osc, ok := v.(map[string]any)
	if !ok {
		return
	}
	if x, ok := osc["xid"]; ok {
		if n, ok := intOf(x); ok {
			m.XID, m.HasXID = n, true
		}
	}
	// "error" is a list of path trees whose leaves are [code]; accept a bare
	// tree too.
	for _, e := range listOf(osc["error"]) {
		flatten("", e, func(path string, v any) {
			code, ok := intOf(v)
			if !ok {
				if l, isList := v.([]any); isList && len(l) > 0 {
					code, ok = intOf(l[0])
				}
			}
			if ok {
				m.Errors = append(m.Errors, PathError{Path: path, Code: int(code)})
			}
		})
	}
	state, _ := osc["state"].(map[string]any)
	switch sub := state["subscribe"].(type) {
	case map[string]any:
		// An older, undocumented shape; still understood when a device
		// answers with it.
		if c, ok := sub["cancel"].(bool); ok && c {
			m.Cancelled = true
		}
	case []any:
		for _, e := range sub {
			entry, _ := e.(map[string]any)
			params, ok := entry["#"].(map[string]any)
			if !ok {
				continue
			}
			if c, ok := params["cancel"].(bool); ok && c {
				m.Cancelled = true
				for _, k := range sortedKeys(entry) {
					if k == "#" {
						continue
					}
					flatten("/"+k, entry[k], func(path string, _ any) {
						m.CancelPaths = append(m.CancelPaths, path)
					})
				}
				continue
			}
			var s Subscription
			// The ew D1 guide's example of a server adapting parameters
			// names the lifetime "timeout"; accept either.
			for key, dst := range map[string]*int{"min": &s.Min, "max": &s.Max, "timeout": &s.Lifetime, "lifetime": &s.Lifetime, "count": &s.Count} {
				if n, ok := intOf(params[key]); ok {
					*dst = int(n)
				}
			}
			m.Subscriptions = append(m.Subscriptions, s)
		}
	}
}

// maxDepth bounds how deep flatten walks. SSC paths are at most four levels
// (/mates/tx1/battery/gauge); a hostile datagram nested thousands deep would
// otherwise cost memory quadratic in its depth for the path strings.
const maxDepth = 12

// flatten calls fn for every leaf under v; objects are walked in key order so
// the result does not depend on map iteration.
func flatten(prefix string, v any, fn func(path string, v any)) {
	flattenDepth(prefix, v, fn, 0)
}

func flattenDepth(prefix string, v any, fn func(path string, v any), depth int) {
	obj, ok := v.(map[string]any)
	if !ok {
		fn(prefix, v)
		return
	}
	if depth >= maxDepth {
		return
	}
	for _, k := range sortedKeys(obj) {
		flattenDepth(prefix+"/"+k, obj[k], fn, depth+1)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func listOf(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case nil:
		return nil
	}
	return []any{v}
}

// intOf accepts integral JSON numbers (and numeric strings, for leniency).
func intOf(v any) (int64, bool) {
	f, ok := floatOf(v)
	if !ok || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// floatOf accepts finite JSON numbers (and numeric strings).
func floatOf(v any) (float64, bool) {
	f, ok := rawFloat(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func rawFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case float64:
		return t, true
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		return f, err == nil
	}
	return 0, false
}

// --- encoding ---

// splitPath turns "/rx1/name" (leading slash optional) into its segments.
func splitPath(path string) ([]string, error) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for _, s := range segs {
		if s == "" {
			return nil, fmt.Errorf("sennheiser: bad path %q", path)
		}
	}
	return segs, nil
}

// tree builds the nested object for a set of path → value pairs.
func tree(values map[string]any) (map[string]any, error) {
	root := map[string]any{}
	paths := make([]string, 0, len(values))
	for p := range values {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		segs, err := splitPath(p)
		if err != nil {
			return nil, err
		}
		node := root
		for _, s := range segs[:len(segs)-1] {
			next, exists := node[s]
			if !exists {
				child := map[string]any{}
				node[s] = child
				node = child
				continue
			}
			child, ok := next.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("sennheiser: path %q runs through a value", p)
			}
			node = child
		}
		last := segs[len(segs)-1]
		if _, exists := node[last]; exists {
			return nil, fmt.Errorf("sennheiser: path %q given twice or is a prefix of another", p)
		}
		node[last] = values[p]
	}
	return root, nil
}

// encode marshals root with "osc" first, the order the protocol's examples
// use, so captures read the same as the documentation.
func encode(osc map[string]any, root map[string]any) ([]byte, error) {
	body, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("sennheiser: encode: %w", err)
	}
	if len(osc) == 0 {
		return body, nil
	}
	head, err := json.Marshal(osc)
	if err != nil {
		return nil, fmt.Errorf("sennheiser: encode osc: %w", err)
	}
	out := make([]byte, 0, len(head)+len(body)+8)
	out = append(out, `{"osc":`...)
	out = append(out, head...)
	if len(body) > 2 { // not "{}"
		out = append(out, ',')
		out = append(out, body[1:]...)
	} else {
		out = append(out, '}')
	}
	return out, nil
}

func oscWithXID(xid int64) map[string]any {
	if xid == 0 {
		return map[string]any{}
	}
	return map[string]any{"xid": xid}
}

// EncodeValues builds a datagram from path → value pairs; a nil value reads
// the path, any other value writes it. xid 0 sends no transaction id. The
// simulator uses it for replies too.
func EncodeValues(xid int64, values map[string]any) ([]byte, error) {
	root, err := tree(values)
	if err != nil {
		return nil, err
	}
	return encode(oscWithXID(xid), root)
}

// EncodeRead builds a read of paths: `{"rx1":{"name":null}}`.
func EncodeRead(xid int64, paths ...string) ([]byte, error) {
	values := make(map[string]any, len(paths))
	for _, p := range paths {
		values[p] = nil
	}
	return EncodeValues(xid, values)
}

// EncodeWrite builds a write of one value: `{"rx1":{"name":"Vox"}}`.
func EncodeWrite(xid int64, path string, v any) ([]byte, error) {
	return EncodeValues(xid, map[string]any{path: v})
}

// EncodeSubscribe builds
// `{"osc":{"state":{"subscribe":[{"#":{...},"m":{"rx1":{"rssi":null}}}]}}}`.
func EncodeSubscribe(xid int64, sub Subscription, paths ...string) ([]byte, error) {
	values := make(map[string]any, len(paths))
	for _, p := range paths {
		values[p] = nil
	}
	entry, err := tree(values)
	if err != nil {
		return nil, err
	}
	if _, clash := entry["#"]; clash {
		return nil, fmt.Errorf("sennheiser: path starting with # in subscription")
	}
	entry["#"] = sub
	osc := oscWithXID(xid)
	osc["state"] = map[string]any{"subscribe": []any{entry}}
	return encode(osc, map[string]any{})
}

// EncodeCancel builds the documented cancel of a subscription: the same
// address tree with `"#":{"cancel":true}`, e.g.
// `{"osc":{"state":{"subscribe":[{"#":{"cancel":true},"m":{"rx1":{"rssi":null}}}]}}}`
// (SSC Developer's guide for evolution wireless D1, TI 1093 §5.1.9.5,
// "Client cancelling the subscription"). A subscription is cancelled by
// naming what it watches; a device ignores a cancel of paths it does not
// serve.
func EncodeCancel(xid int64, paths ...string) ([]byte, error) {
	values := make(map[string]any, len(paths))
	for _, p := range paths {
		values[p] = nil
	}
	entry, err := tree(values)
	if err != nil {
		return nil, err
	}
	if _, clash := entry["#"]; clash {
		return nil, fmt.Errorf("sennheiser: path starting with # in subscription cancel")
	}
	entry["#"] = map[string]any{"cancel": true}
	osc := oscWithXID(xid)
	osc["state"] = map[string]any{"subscribe": []any{entry}}
	return encode(osc, map[string]any{})
}

// EncodeErrors builds `{"osc":{"error":[{"rx1":{"name":[404]}}]}}`, one list
// entry per error, as a device answers (used by the simulator and tests).
func EncodeErrors(xid int64, errs ...PathError) ([]byte, error) {
	list := make([]any, 0, len(errs))
	for _, e := range errs {
		t, err := tree(map[string]any{e.Path: []int{e.Code}})
		if err != nil {
			return nil, err
		}
		list = append(list, t)
	}
	osc := oscWithXID(xid)
	osc["error"] = list
	return encode(osc, map[string]any{})
}
