package mdns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/net/ipv4"
)

// DefaultWindow is how long a browse listens when the caller gives no window.
const DefaultWindow = 3 * time.Second

// resendAfter are the pauses before asking again while the window lasts,
// doubling as RFC 6762 §5.2 asks of a continuing query: a lost datagram
// costs a second, not the device.
var resendAfter = []time.Duration{time.Second, 2 * time.Second}

// BrowseOptions configure Browse.
type BrowseOptions struct {
	// Service is the service type, e.g. "_ssc._udp".
	Service string
	// Addr is where queries go (default DefaultAddr, the mDNS group). A
	// unicast address asks one responder, which is what tests use.
	Addr string
	// Window is how long to listen for answers (default DefaultWindow).
	Window time.Duration
	Logger *slog.Logger
}

// Browse asks for every instance of a service and gathers the answers that
// arrive within the window: PTR to the instances, then their SRV (port and
// target host), TXT and the target's A/AAAA records, asking again for what
// the first answers left out. Queries go from an ephemeral port, so every
// responder answers by unicast to it (legacy unicast, RFC 6762 §6.7) and the
// browser needs neither port 5353 nor group membership. A malformed answer
// is logged and skipped. It returns the instances with a port, sorted by
// name; an instance without an address record gets the address its answer
// came from. The error is ctx's when it ended the browse early (the
// instances heard until then are returned with it).
func Browse(ctx context.Context, o BrowseOptions) ([]Instance, error) {
	if o.Service == "" {
		return nil, errors.New("mdns: browse needs a service type")
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	log := o.Logger.With("service", o.Service, "addr", o.Addr)
	dst, err := net.ResolveUDPAddr("udp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("mdns: query address %q: %w", o.Addr, err)
	}
	network := "udp4"
	if dst.IP.To4() == nil {
		network = "udp6"
	}
	conn, err := net.ListenUDP(network, nil)
	if err != nil {
		return nil, fmt.Errorf("mdns: open a socket for %s: %w", o.Addr, err)
	}
	defer conn.Close()
	if dst.IP.IsMulticast() && network == "udp4" {
		// RFC 6762 §11: mDNS packets go out with TTL 255. Best effort: a
		// responder that insists on it is rare, and the default still
		// reaches the link.
		if err := ipv4.NewPacketConn(conn).SetMulticastTTL(255); err != nil {
			log.Debug("mdns: set multicast TTL", "err", err)
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	b := &browse{svc: ServiceName(o.Service), service: o.Service, id: uint16(rand.N(1 << 16)),
		found: map[string]*Instance{}, addrs: map[string][]netip.Addr{}, asked: map[string]bool{}}
	end := time.Now().Add(o.Window)
	next, resend := time.Now(), 0
	buf := make([]byte, 64<<10)
	for {
		if !next.IsZero() && !time.Now().Before(next) {
			if err := b.send(conn, dst, b.questions(true)); err != nil {
				return b.result(), err
			}
			next = time.Time{}
			if resend < len(resendAfter) {
				next = time.Now().Add(resendAfter[resend])
				resend++
			}
		}
		deadline := end
		if !next.IsZero() && next.Before(deadline) {
			deadline = next
		}
		if err := conn.SetReadDeadline(deadline); err != nil {
			return b.result(), fmt.Errorf("mdns: set read deadline: %w", err)
		}
		if ctx.Err() != nil {
			return b.result(), ctx.Err()
		}
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil {
				return b.result(), ctx.Err()
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if !time.Now().Before(end) {
					return b.result(), nil
				}
				continue
			}
			return b.result(), fmt.Errorf("mdns: read answers from %s: %w", o.Addr, err)
		}
		rs, err := Parse(buf[:n])
		if err == nil && !rs.Response {
			err = ErrNotResponse
		}
		if err != nil {
			log.Info("mdns: skipping a malformed answer", "from", from, "bytes", n, "err", err)
			continue
		}
		if rs.ID != 0 && rs.ID != b.id {
			log.Debug("mdns: answer to another query", "from", from, "id", rs.ID)
			continue
		}
		b.add(rs, from.Addr().Unmap())
		// Ask at once for what the answers left out (an SRV, TXT or
		// address), once per name, rather than waiting for the next round.
		if qs := b.questions(false); len(qs) > 0 {
			if err := b.send(conn, dst, qs); err != nil {
				return b.result(), err
			}
		}
	}
}

// browse is the state of one Browse.
type browse struct {
	svc     string // full service name, "_ssc._udp.local."
	service string
	id      uint16
	found   map[string]*Instance    // by lower-case full instance name
	order   []string                // first heard first
	addrs   map[string][]netip.Addr // by lower-case host name
	asked   map[string]bool         // follow-up questions sent, by "type name"
}

func (b *browse) send(conn *net.UDPConn, dst *net.UDPAddr, qs []Question) error {
	msg, err := Query(b.id, qs...)
	if err != nil {
		return err
	}
	if _, err := conn.WriteToUDP(msg, dst); err != nil {
		return fmt.Errorf("mdns: send query to %s: %w", dst, err)
	}
	return nil
}

// questions lists what to ask: the PTR question when all is true (a new
// round), and SRV/TXT for instances without a port and A/AAAA for targets
// without an address. A follow-up is asked once unless all is set.
func (b *browse) questions(all bool) []Question {
	var qs []Question
	if all {
		qs = append(qs, Question{Name: b.svc, Type: dnsmessage.TypePTR})
	}
	ask := func(name string, t dnsmessage.Type) {
		key := t.String() + " " + strings.ToLower(name)
		if (all || !b.asked[key]) && len(qs) < 32 {
			b.asked[key] = true
			qs = append(qs, Question{Name: name, Type: t})
		}
	}
	for _, k := range b.order {
		in := b.found[k]
		switch {
		case in.Port == 0:
			ask(in.FullName(), dnsmessage.TypeSRV)
			ask(in.FullName(), dnsmessage.TypeTXT)
		case len(b.addrs[strings.ToLower(in.Target)]) == 0 && in.Target != "":
			ask(in.Target, dnsmessage.TypeA)
		}
	}
	return qs
}

// add merges one answer's records.
func (b *browse) add(rs Records, from netip.Addr) {
	instance := func(full string) *Instance {
		key := strings.ToLower(strings.TrimSuffix(full, ".") + ".")
		if in := b.found[key]; in != nil {
			return in
		}
		label, ok := instanceLabel(full, b.svc)
		if !ok || len(b.found) >= maxInstances {
			return nil
		}
		in := &Instance{Name: label, Service: b.service, From: from}
		b.found[key] = in
		b.order = append(b.order, key)
		return in
	}
	for _, r := range rs.PTR {
		if sameName(r.Name, b.svc) {
			instance(r.Target)
		}
	}
	for _, r := range rs.SRV {
		if in := instance(r.Name); in != nil && r.Port > 0 {
			in.Target, in.Port = r.Target, r.Port
		}
	}
	for _, r := range rs.TXT {
		if in := instance(r.Name); in != nil && in.TXT == nil {
			in.TXT = r.Pairs
		}
	}
	for _, r := range rs.Addr {
		host := strings.ToLower(strings.TrimSuffix(r.Name, ".") + ".")
		ip := r.IP.Unmap()
		if (len(b.addrs) < maxInstances || b.addrs[host] != nil) && len(b.addrs[host]) < maxAddrs && !slices.Contains(b.addrs[host], ip) {
			b.addrs[host] = append(b.addrs[host], ip)
		}
	}
}

// result lists the instances that have a port, with their addresses, IPv4
// first, sorted by name.
func (b *browse) result() []Instance {
	var out []Instance
	for _, k := range b.order {
		in := *b.found[k]
		if in.Port == 0 {
			continue
		}
		in.Addrs = slices.Clone(b.addrs[strings.ToLower(strings.TrimSuffix(in.Target, ".")+".")])
		slices.SortStableFunc(in.Addrs, func(x, y netip.Addr) int {
			switch {
			case x.Is4() && !y.Is4():
				return -1
			case !x.Is4() && y.Is4():
				return 1
			}
			return 0
		})
		if len(in.Addrs) == 0 && in.From.IsValid() {
			in.Addrs = []netip.Addr{in.From}
		}
		out = append(out, in)
	}
	slices.SortFunc(out, func(x, y Instance) int { return strings.Compare(x.Name, y.Name) })
	return out
}
