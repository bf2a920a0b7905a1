package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SSC error codes (PROTOCOLS.md §2).
const (
	sscNotUnderstood = 400
	sscNotFound      = 404
	sscNotAcceptable = 406
	sscTxAbsent      = 424
	sscSubEnded      = 310
)

// Subscription defaults echoed back when a client leaves them out, and the
// poll period used to detect changes for on-change pushes.
const (
	sscDefaultLifetime = 10 // seconds
	sscDefaultCount    = 1000
	sscPollPeriod      = 100 * time.Millisecond
	sscPeerWindow      = time.Minute
	sscMaxDatagram     = 64 << 10
)

// sscLeaf is one method address. get returns a value or an error code; set
// validates v and, when apply is true, stores it. A nil set is read-only.
type sscLeaf struct {
	get func() (any, int)
	set func(v any, apply bool) int
}

type sscNode struct {
	kids map[string]*sscNode
	leaf *sscLeaf
}

func (n *sscNode) add(path string, leaf *sscLeaf) {
	for _, k := range strings.Split(path, "/") {
		if n.kids == nil {
			n.kids = map[string]*sscNode{}
		}
		next := n.kids[k]
		if next == nil {
			next = &sscNode{}
			n.kids[k] = next
		}
		n = next
	}
	n.leaf = leaf
}

func (n *sscNode) lookup(path []string) *sscNode {
	for _, k := range path {
		if n = n.kids[k]; n == nil {
			return nil
		}
	}
	return n
}

// sscServer serves SSC v1 (JSON over UDP) for an EW-DX receiver.
type sscServer struct {
	r     *Receiver
	conn  *net.UDPConn
	root  *sscNode
	subs  []*sscSub
	peers map[string]sscPeer
	wg    sync.WaitGroup
}

type sscPeer struct {
	addr *net.UDPAddr
	last time.Time
}

// sscSub is one subscription of one peer.
type sscSub struct {
	addr     *net.UDPAddr
	key      string
	paths    [][]string
	min, max int // ms
	lifetime int // s
	count    int // pushes before it ends; 0 = unlimited
	sent     int
	expires  time.Time
	lastSent time.Time
	last     string
	tk       *ticker
	done     bool
}

func newSSCServer(r *Receiver) *sscServer {
	s := &sscServer{r: r, root: &sscNode{}, peers: map[string]sscPeer{}}
	s.buildTree()
	return s
}

func sscBatteryType(c *channel) string {
	if c.battType == "LION" {
		return "Battery"
	}
	return "Primary Cell"
}

func asString(v any, maxLen int) (string, bool) {
	str, ok := v.(string)
	if !ok || validName(str, maxLen) != nil {
		return "", false
	}
	return str, true
}

func asInt(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 32)
	return int(i), err == nil
}

func ro(get func() (any, int)) *sscLeaf { return &sscLeaf{get: get} }

func okv(v any) (any, int) { return v, 0 }

// buildTree declares every address the simulated receiver knows.
func (s *sscServer) buildTree() {
	r := s.r
	if r.spec.fam == famEM6000 {
		s.buildEM6000Tree()
		return
	}
	s.root.add("device/name", &sscLeaf{
		get: func() (any, int) { return okv(r.name) },
		set: func(v any, apply bool) int {
			name, good := asString(v, 31)
			if !good {
				return sscNotAcceptable
			}
			if apply {
				r.name = name
			}
			return 0
		},
	})
	s.root.add("device/identity/version", ro(func() (any, int) { return okv(r.spec.fw) }))
	s.root.add("device/identity/product", ro(func() (any, int) { return okv(r.product()) }))
	s.root.add("device/identity/serial", ro(func() (any, int) { return okv(r.serial) }))
	for i, c := range r.ch {
		rx := fmt.Sprintf("rx%d", i+1)
		tx := fmt.Sprintf("mates/tx%d", i+1)
		s.root.add(rx+"/name", &sscLeaf{
			get: func() (any, int) { return okv(c.name) },
			set: func(v any, apply bool) int {
				name, good := asString(v, r.spec.nameMax)
				if !good {
					return sscNotAcceptable
				}
				if apply {
					c.name = name
				}
				return 0
			},
		})
		s.root.add(rx+"/frequency", &sscLeaf{
			get: func() (any, int) { return okv(c.freq) },
			set: func(v any, apply bool) int {
				f, good := asInt(v)
				if !good || !r.validFreq(f) {
					return sscNotAcceptable
				}
				if apply {
					c.freq = f
				}
				return 0
			},
		})
		s.root.add(rx+"/mute", &sscLeaf{
			get: func() (any, int) { return okv(c.mute) },
			set: func(v any, apply bool) int {
				b, good := v.(bool)
				if !good {
					return sscNotAcceptable
				}
				if apply {
					c.mute = b
				}
				return 0
			},
		})
		s.root.add(rx+"/gain", &sscLeaf{
			get: func() (any, int) { return okv(c.gain) },
			set: func(v any, apply bool) int {
				g, good := asInt(v)
				if !good || g < -3 || g > 42 {
					return sscNotAcceptable
				}
				if apply {
					c.gain = g
				}
				return 0
			},
		})
		s.root.add(rx+"/warnings", ro(func() (any, int) {
			if c.txOn && r.clock.Now().Before(c.clipEnd) {
				return okv([]string{"AfPeak"})
			}
			return okv([]string{})
		}))
		s.root.add("m/"+rx+"/rssi", ro(func() (any, int) {
			if !c.txOn {
				return okv(-107)
			}
			return okv(clampInt(int(math.Round(c.bestRF())), -107, 0))
		}))
		s.root.add("m/"+rx+"/rsqi", ro(func() (any, int) {
			if !c.txOn {
				return okv(0)
			}
			return okv(clampInt(int(math.Round((c.bestRF()+95)*100/35)), 0, 100))
		}))
		s.root.add("m/"+rx+"/af", ro(func() (any, int) {
			switch {
			case !c.txOn:
				return okv(-138.5)
			case r.clock.Now().Before(c.clipEnd):
				return okv(0)
			}
			return okv(math.Max(-138.5, math.Min(0, math.Round(c.audio*2)/2)))
		}))
		s.root.add("m/"+rx+"/divi", ro(func() (any, int) {
			switch {
			case !c.txOn || c.bestRF() <= noSignal:
				return okv(0)
			case c.rfA >= c.rfB:
				return okv(1)
			}
			return okv(2)
		}))
		// The mates tree describes the transmitter; with none heard it is 424.
		mate := func(get func() any) *sscLeaf {
			return ro(func() (any, int) {
				if !c.txOn {
					return nil, sscTxAbsent
				}
				return okv(get())
			})
		}
		s.root.add(tx+"/battery/gauge", mate(func() any { return c.percent() }))
		s.root.add(tx+"/battery/lifetime", mate(func() any { return c.minutes() }))
		s.root.add(tx+"/battery/type", mate(func() any { return sscBatteryType(c) }))
		s.root.add(tx+"/type", mate(func() any { return c.txModel }))
		s.root.add(tx+"/warnings", mate(func() any {
			if c.percent() <= 20 {
				return []string{"LowBattery"}
			}
			return []string{}
		}))
	}
}

func (s *sscServer) listen() error {
	addr, err := net.ResolveUDPAddr("udp", net.JoinHostPort(s.r.host, strconv.Itoa(s.r.port)))
	if err != nil {
		return fmt.Errorf("resolve udp: %w", err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return err // already names the address; callers add the model
	}
	s.r.port = conn.LocalAddr().(*net.UDPAddr).Port
	s.conn = conn
	s.wg.Add(1)
	go s.read(conn)
	return nil
}

func (s *sscServer) read(conn *net.UDPConn) {
	defer s.wg.Done()
	buf := make([]byte, sscMaxDatagram)
	for {
		n, addr, err := conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.handle(conn, addr, buf[:n])
	}
}

func (s *sscServer) closeAll() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	for _, sub := range s.subs {
		sub.done = true
		sub.tk.Stop()
	}
	s.subs = nil
	clear(s.peers)
}

func (s *sscServer) wait() { s.wg.Wait() }

// publish is a no-op: subscriptions poll for changes on their own period.
func (s *sscServer) publish() {}

func (s *sscServer) recentPeers() []*net.UDPAddr {
	now := s.r.clock.Now()
	var out []*net.UDPAddr
	keys := make([]string, 0, len(s.peers))
	for k := range s.peers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p := s.peers[k]; now.Sub(p.last) < sscPeerWindow {
			out = append(out, p.addr)
		}
	}
	return out
}

func (s *sscServer) clients() int { return len(s.recentPeers()) }

func (s *sscServer) garbage(p []byte) {
	for _, a := range s.recentPeers() {
		s.sendRaw(a, p)
	}
}

func (s *sscServer) sendRaw(addr *net.UDPAddr, p []byte) {
	if s.conn == nil || s.r.stalled {
		return
	}
	if _, err := s.conn.WriteToUDP(p, addr); err != nil {
		s.r.log.Debug("ssc send failed", "to", addr, "err", err)
	}
}

func (s *sscServer) send(addr *net.UDPAddr, v any) {
	s.sendRaw(addr, encodeJSON(v))
}

// encodeJSON marshals without HTML escaping (names may hold '&') and
// without the encoder's trailing newline: one object per datagram.
func encodeJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`{"osc":{"error":[500]}}`)
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

// nest builds {"a":{"b":v}} from path [a b].
func nest(path []string, v any) map[string]any {
	m := map[string]any{path[len(path)-1]: v}
	for i := len(path) - 2; i >= 0; i-- {
		m = map[string]any{path[i]: m}
	}
	return m
}

// setPath stores v at path inside m, creating containers.
func setPath(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sscOp is one leaf a request touches.
type sscOp struct {
	path  []string
	leaf  *sscLeaf
	write bool
	val   any
}

// sscRequest collects what one datagram asks for.
type sscRequest struct {
	ops        []sscOp
	errs       []any
	osc        map[string]any
	subs       []*sscSub
	echoes     []any
	cancelEcho bool
}

func (q *sscRequest) fail(path []string, code int) {
	q.errs = append(q.errs, nest(path, []any{code}))
}

// walk resolves the request tree under node n at path.
func (s *sscServer) walk(q *sscRequest, n *sscNode, path []string, v any) {
	if n.leaf != nil {
		switch {
		case v == nil:
			q.ops = append(q.ops, sscOp{path: path, leaf: n.leaf})
		case n.leaf.set == nil:
			q.fail(path, sscNotAcceptable) // read-only
		default:
			q.ops = append(q.ops, sscOp{path: path, leaf: n.leaf, write: true, val: v})
		}
		return
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		// A container is not a method; it cannot be read or written whole.
		q.fail(path, sscNotAcceptable)
		return
	}
	for _, k := range sortedKeys(m) {
		p := append(append([]string(nil), path...), k)
		kid := n.kids[k]
		if kid == nil {
			q.fail(p, sscNotFound)
			continue
		}
		s.walk(q, kid, p, m[k])
	}
}

func (s *sscServer) handle(conn *net.UDPConn, addr *net.UDPAddr, data []byte) {
	r := s.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if conn != s.conn || r.stalled {
		return
	}
	s.peers[addr.String()] = sscPeer{addr: addr, last: r.clock.Now()}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			err = errors.New("trailing data")
		}
	}
	req, isObj := v.(map[string]any)
	if err != nil || !isObj {
		// Unparseable: the error relates to the whole message, no address.
		s.send(addr, map[string]any{"osc": map[string]any{"error": []any{sscNotUnderstood}}})
		return
	}

	q := &sscRequest{osc: map[string]any{}}
	for _, k := range sortedKeys(req) {
		if k == "osc" {
			s.oscRequest(q, addr, req[k])
			continue
		}
		kid := s.root.kids[k]
		if kid == nil {
			q.fail([]string{k}, sscNotFound)
			continue
		}
		s.walk(q, kid, []string{k}, req[k])
	}
	// Validate everything before applying anything: a message with an error
	// changes nothing and is answered with the errors alone.
	for _, op := range q.ops {
		if op.write {
			if code := op.leaf.set(op.val, false); code != 0 {
				q.fail(op.path, code)
			}
		} else if _, code := op.leaf.get(); code != 0 {
			q.fail(op.path, code)
		}
	}
	if len(q.errs) > 0 {
		osc := map[string]any{"error": q.errs}
		if xid, has := q.osc["xid"]; has {
			osc["xid"] = xid
		}
		s.send(addr, map[string]any{"osc": osc})
		return
	}
	resp := map[string]any{}
	for _, op := range q.ops {
		if op.write {
			op.leaf.set(op.val, true)
		}
	}
	for _, op := range q.ops {
		val, _ := op.leaf.get()
		setPath(resp, op.path, val)
	}
	if len(q.subs) > 0 || q.cancelEcho {
		q.osc["state"] = map[string]any{"subscribe": q.echoes}
	}
	if len(q.osc) > 0 {
		resp["osc"] = q.osc
	}
	s.send(addr, resp)
	now := r.clock.Now()
	for _, sub := range q.subs {
		s.startSub(sub, now)
	}
}

// oscRequest handles the /osc subtree: xid, version, ping and subscriptions.
func (s *sscServer) oscRequest(q *sscRequest, addr *net.UDPAddr, v any) {
	m, isObj := v.(map[string]any)
	if !isObj {
		q.fail([]string{"osc"}, sscNotAcceptable)
		return
	}
	for _, k := range sortedKeys(m) {
		switch k {
		case "xid", "ping":
			q.osc[k] = m[k]
		case "version":
			if m[k] != nil {
				q.fail([]string{"osc", k}, sscNotAcceptable)
				continue
			}
			q.osc[k] = "1.0"
		case "state":
			st, isObj := m[k].(map[string]any)
			if !isObj {
				q.fail([]string{"osc", "state"}, sscNotAcceptable)
				continue
			}
			for _, sk := range sortedKeys(st) {
				if sk != "subscribe" {
					q.fail([]string{"osc", "state", sk}, sscNotFound)
					continue
				}
				s.subscribeRequest(q, addr, st[sk])
			}
		default:
			q.fail([]string{"osc", k}, sscNotFound)
		}
	}
}

func (s *sscServer) subscribeRequest(q *sscRequest, addr *net.UDPAddr, v any) {
	bad := []string{"osc", "state", "subscribe"}
	switch sv := v.(type) {
	case []any:
		for _, e := range sv {
			em, isObj := e.(map[string]any)
			if !isObj {
				q.fail(bad, sscNotAcceptable)
				continue
			}
			// A cancel names the addresses it ends, with "#":{"cancel":true}
			// (SSC Developer's guide for ew D1, TI 1093 §5.1.9.5); the
			// device echoes it. A bare {"cancel":true} object is not in
			// the guides and is refused like any malformed subscribe.
			if h, isObj := em["#"].(map[string]any); isObj {
				if c, isBool := h["cancel"].(bool); isBool && c {
					s.cancelEntry(q, addr, em)
					continue
				}
			}
			sub := &sscSub{addr: addr, lifetime: sscDefaultLifetime, count: sscDefaultCount}
			if h, has := em["#"]; has {
				hm, isObj := h.(map[string]any)
				if !isObj {
					q.fail(bad, sscNotAcceptable)
					continue
				}
				valid := true
				for _, hk := range sortedKeys(hm) {
					n, isInt := asInt(hm[hk])
					if !isInt || n < 0 {
						valid = false
						break
					}
					switch hk {
					case "min":
						sub.min = n
					case "max":
						sub.max = n
					case "lifetime":
						sub.lifetime = n
					case "count":
						sub.count = n
					default:
						valid = false
					}
				}
				if !valid || sub.lifetime < 1 {
					q.fail(bad, sscNotAcceptable)
					continue
				}
			}
			// The rest of the element is the address tree to watch.
			sq := &sscRequest{}
			for _, k := range sortedKeys(em) {
				if k == "#" {
					continue
				}
				kid := s.root.kids[k]
				if kid == nil {
					sq.fail([]string{k}, sscNotFound)
					continue
				}
				s.walk(sq, kid, []string{k}, em[k])
			}
			for _, op := range sq.ops {
				if op.write {
					sq.fail(op.path, sscNotAcceptable)
				}
			}
			if len(sq.ops) == 0 && len(sq.errs) == 0 {
				sq.fail(bad, sscNotAcceptable)
			}
			if len(sq.errs) > 0 {
				q.errs = append(q.errs, sq.errs...)
				continue
			}
			echo := map[string]any{"#": map[string]any{
				"min": sub.min, "max": sub.max, "lifetime": sub.lifetime, "count": sub.count,
			}}
			var keys []string
			for _, op := range sq.ops {
				sub.paths = append(sub.paths, op.path)
				setPath(echo, op.path, nil)
				keys = append(keys, strings.Join(op.path, "/"))
			}
			sub.key = addr.String() + "|" + strings.Join(keys, ",")
			q.subs = append(q.subs, sub)
			q.echoes = append(q.echoes, echo)
		}
	default:
		q.fail(bad, sscNotAcceptable)
	}
}

// cancelEntry ends addr's subscriptions to the addresses em names and
// echoes the request. r.mu held.
func (s *sscServer) cancelEntry(q *sscRequest, addr *net.UDPAddr, em map[string]any) {
	sq := &sscRequest{}
	for _, k := range sortedKeys(em) {
		if k == "#" {
			continue
		}
		if kid := s.root.kids[k]; kid != nil {
			s.walk(sq, kid, []string{k}, em[k])
		}
	}
	named := map[string]bool{}
	for _, op := range sq.ops {
		named[strings.Join(op.path, "/")] = true
	}
	kept := s.subs[:0]
	for _, sub := range s.subs {
		match := sub.addr.String() == addr.String()
		for _, p := range sub.paths {
			match = match && named[strings.Join(p, "/")]
		}
		if match {
			sub.done = true
			sub.tk.Stop()
			continue
		}
		kept = append(kept, sub)
	}
	s.subs = kept
	q.echoes = append(q.echoes, em)
	q.cancelEcho = true
}

// startSub registers sub (replacing a renewal of the same paths) and sends
// the current values at once. r.mu held.
func (s *sscServer) startSub(sub *sscSub, now time.Time) {
	kept := s.subs[:0]
	for _, old := range s.subs {
		if old.key == sub.key {
			old.done = true
			old.tk.Stop()
			continue
		}
		kept = append(kept, old)
	}
	s.subs = append(kept, sub)
	sub.expires = now.Add(time.Duration(sub.lifetime) * time.Second)
	period := sscPollPeriod
	if d := time.Duration(sub.min) * time.Millisecond; d > period {
		period = d
	}
	r := s.r
	sub.tk = startTicker(r.clock, period, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if sub.done {
			return
		}
		now := r.clock.Now()
		if !now.Before(sub.expires) {
			s.end(sub)
			return
		}
		s.push(sub, now, false)
	})
	s.push(sub, now, true)
}

// push sends sub's values if they changed, or if max ms passed since the
// last push. r.mu held.
func (s *sscServer) push(sub *sscSub, now time.Time, force bool) {
	if s.r.stalled {
		return
	}
	vals := map[string]any{}
	var errs []any
	for _, p := range sub.paths {
		n := s.root.lookup(p)
		v, code := n.leaf.get()
		if code != 0 {
			errs = append(errs, nest(p, []any{code}))
			continue
		}
		setPath(vals, p, v)
	}
	snap := string(encodeJSON(vals)) + string(encodeJSON(errs))
	since := now.Sub(sub.lastSent)
	if !force {
		due := sub.max > 0 && since >= time.Duration(sub.max)*time.Millisecond
		if snap == sub.last && !due {
			return
		}
		if since < time.Duration(sub.min)*time.Millisecond {
			return
		}
	}
	sub.last, sub.lastSent = snap, now
	sub.sent++
	if len(vals) > 0 {
		s.send(sub.addr, vals)
	}
	if len(errs) > 0 {
		s.send(sub.addr, map[string]any{"osc": map[string]any{"error": errs}})
	}
	if sub.count > 0 && sub.sent >= sub.count {
		s.end(sub)
	}
}

// end closes sub with a 310 for each of its addresses. r.mu held.
func (s *sscServer) end(sub *sscSub) {
	sub.done = true
	sub.tk.Stop()
	kept := s.subs[:0]
	for _, o := range s.subs {
		if o != sub {
			kept = append(kept, o)
		}
	}
	s.subs = kept
	errs := make([]any, 0, len(sub.paths))
	for _, p := range sub.paths {
		errs = append(errs, nest(p, []any{sscSubEnded}))
	}
	s.send(sub.addr, map[string]any{"osc": map[string]any{"error": errs}})
}
