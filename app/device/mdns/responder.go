package mdns

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"golang.org/x/net/dns/dnsmessage"
)

// legacyTTL is the TTL of records sent to a legacy unicast query (RFC 6762
// §6.7: at most 10 s, since such a client cannot be told of changes).
const legacyTTL = 10

// perMessage bounds the instances answered in one message, so a large fleet
// answers in several datagrams of well under MaxMessage.
const perMessage = 8

// Responder answers DNS-SD queries for the instances it is given: a PTR
// question for their service, SRV/TXT questions for an instance, A/AAAA
// questions for a target host. It answers every query by unicast to its
// sender, echoing the query's id and questions, which is what a legacy
// unicast query (one not from port 5353) needs and what a browser on an
// ephemeral port gets from real devices. It is small on purpose: enough for
// the simulator to be discovered, not a general mDNS responder (no probing,
// announcing or conflict resolution).
type Responder struct {
	conn      *net.UDPConn
	instances func() []Instance
	log       *slog.Logger
	wg        sync.WaitGroup
}

// Listen starts a responder on addr: a multicast address (the mDNS group)
// is joined on the default interface, any other address is bound directly.
// instances is called for every query, so renamed or stopped devices are
// answered as they are now.
func Listen(addr string, instances func() []Instance, log *slog.Logger) (*Responder, error) {
	if log == nil {
		log = slog.Default()
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("mdns responder address %q: %w", addr, err)
	}
	var conn *net.UDPConn
	if ua.IP.IsMulticast() {
		conn, err = net.ListenMulticastUDP("udp", nil, ua)
	} else {
		conn, err = net.ListenUDP("udp", ua)
	}
	if err != nil {
		return nil, fmt.Errorf("mdns responder on %s: %w", addr, err)
	}
	r := &Responder{conn: conn, instances: instances, log: log.With("component", "mdns-responder", "addr", conn.LocalAddr().String())}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

// Addr is the address the responder listens on (with the port it got when
// started on port 0).
func (r *Responder) Addr() string { return r.conn.LocalAddr().String() }

// Close stops the responder and waits for it.
func (r *Responder) Close() error {
	err := r.conn.Close()
	r.wg.Wait()
	if err != nil {
		return fmt.Errorf("close mdns responder: %w", err)
	}
	return nil
}

func (r *Responder) serve() {
	defer r.wg.Done()
	buf := make([]byte, MaxMessage)
	for {
		n, from, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				r.log.Warn("mdns responder read", "err", err)
			}
			return
		}
		msgs, err := Answer(buf[:n], r.instances())
		if err != nil {
			r.log.Debug("mdns responder: ignoring a query", "from", from, "err", err)
			continue
		}
		for _, m := range msgs {
			if _, err := r.conn.WriteToUDPAddrPort(m, from); err != nil {
				r.log.Debug("mdns responder: answer", "to", from, "err", err)
				break
			}
		}
	}
}

// Answer builds the answers to one query about instances: none when the
// query asks about nothing they publish (an mDNS responder stays silent
// then), or a message is not a query. Each answer echoes the query's id and
// questions (RFC 6762 §6.7).
func Answer(query []byte, instances []Instance) ([][]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, fmt.Errorf("mdns: query header: %w", err)
	}
	if h.Response {
		return nil, errors.New("mdns: not a query")
	}
	qs, err := p.AllQuestions()
	if err != nil {
		return nil, fmt.Errorf("mdns: questions: %w", err)
	}
	// What to send: whole instances (PTR plus the rest as additionals) for
	// a service question, single records for the others.
	var (
		browsed []Instance
		direct  []record
	)
	for _, q := range qs {
		name := q.Name.String()
		if q.Class&classMask != dnsmessage.ClassINET && q.Class&classMask != dnsmessage.ClassANY {
			continue
		}
		for _, in := range instances {
			switch {
			case sameName(name, ServiceName(in.Service)) && (q.Type == dnsmessage.TypePTR || q.Type == dnsmessage.TypeALL):
				if !containsInstance(browsed, in) {
					browsed = append(browsed, in)
				}
			case sameName(name, in.FullName()):
				if q.Type == dnsmessage.TypeSRV || q.Type == dnsmessage.TypeALL {
					direct = append(direct, record{typ: dnsmessage.TypeSRV, in: in})
				}
				if q.Type == dnsmessage.TypeTXT || q.Type == dnsmessage.TypeALL {
					direct = append(direct, record{typ: dnsmessage.TypeTXT, in: in})
				}
			case sameName(name, in.Target):
				if q.Type == dnsmessage.TypeA || q.Type == dnsmessage.TypeAAAA || q.Type == dnsmessage.TypeALL {
					direct = append(direct, record{typ: q.Type, in: in})
				}
			}
		}
	}
	if len(browsed) == 0 && len(direct) == 0 {
		return nil, nil
	}
	sort.SliceStable(browsed, func(i, j int) bool { return browsed[i].Name < browsed[j].Name })
	var out [][]byte
	for len(browsed) > 0 || len(direct) > 0 {
		take := browsed[:min(perMessage, len(browsed))]
		browsed = browsed[len(take):]
		var extra []record
		if len(out) == 0 {
			extra, direct = direct, nil
		}
		msg, err := answerMessage(h.ID, qs, take, extra)
		if err != nil {
			return nil, err
		}
		out = append(out, msg)
	}
	return out, nil
}

// record is one record asked for directly.
type record struct {
	typ dnsmessage.Type
	in  Instance
}

func containsInstance(list []Instance, in Instance) bool {
	for _, x := range list {
		if strings.EqualFold(x.FullName(), in.FullName()) {
			return true
		}
	}
	return false
}

// answerMessage encodes one answer: a PTR per browsed instance with its SRV,
// TXT and addresses as additionals, and the directly asked records.
func answerMessage(id uint16, qs []dnsmessage.Question, browsed []Instance, direct []record) ([]byte, error) {
	b := dnsmessage.NewBuilder(make([]byte, 0, 1024), dnsmessage.Header{ID: id, Response: true, Authoritative: true})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	for _, q := range qs {
		if err := b.Question(q); err != nil {
			return nil, fmt.Errorf("mdns: echo question: %w", err)
		}
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	for _, in := range browsed {
		if err := addPTR(&b, in); err != nil {
			return nil, err
		}
	}
	for _, d := range direct {
		if err := addRecord(&b, d.typ, d.in); err != nil {
			return nil, err
		}
	}
	if err := b.StartAdditionals(); err != nil {
		return nil, err
	}
	for _, in := range browsed {
		for _, t := range []dnsmessage.Type{dnsmessage.TypeSRV, dnsmessage.TypeTXT, dnsmessage.TypeA, dnsmessage.TypeAAAA} {
			if err := addRecord(&b, t, in); err != nil {
				return nil, err
			}
		}
	}
	msg, err := b.Finish()
	if err != nil {
		return nil, fmt.Errorf("mdns: answer: %w", err)
	}
	return msg, nil
}

func header(name string, t dnsmessage.Type) (dnsmessage.ResourceHeader, error) {
	n, err := dnsmessage.NewName(name)
	if err != nil {
		return dnsmessage.ResourceHeader{}, fmt.Errorf("mdns: name %q: %w", name, err)
	}
	return dnsmessage.ResourceHeader{Name: n, Type: t, Class: dnsmessage.ClassINET, TTL: legacyTTL}, nil
}

func addPTR(b *dnsmessage.Builder, in Instance) error {
	h, err := header(ServiceName(in.Service), dnsmessage.TypePTR)
	if err != nil {
		return err
	}
	target, err := dnsmessage.NewName(in.FullName())
	if err != nil {
		return fmt.Errorf("mdns: instance %q: %w", in.Name, err)
	}
	return b.PTRResource(h, dnsmessage.PTRResource{PTR: target})
}

// addRecord adds in's record of type t; an address type adds every address
// of that family, none when it has none.
func addRecord(b *dnsmessage.Builder, t dnsmessage.Type, in Instance) error {
	switch t {
	case dnsmessage.TypeSRV:
		h, err := header(in.FullName(), t)
		if err != nil {
			return err
		}
		target, err := dnsmessage.NewName(in.Target)
		if err != nil {
			return fmt.Errorf("mdns: target %q: %w", in.Target, err)
		}
		return b.SRVResource(h, dnsmessage.SRVResource{Target: target, Port: uint16(in.Port)})
	case dnsmessage.TypeTXT:
		h, err := header(in.FullName(), t)
		if err != nil {
			return err
		}
		return b.TXTResource(h, dnsmessage.TXTResource{TXT: txtStrings(in.TXT)})
	case dnsmessage.TypeA, dnsmessage.TypeAAAA:
		h, err := header(in.Target, t)
		if err != nil {
			return err
		}
		for _, a := range in.Addrs {
			var err error
			switch {
			case t == dnsmessage.TypeA && a.Unmap().Is4():
				err = b.AResource(h, dnsmessage.AResource{A: a.Unmap().As4()})
			case t == dnsmessage.TypeAAAA && a.Is6() && !a.Is4In6():
				err = b.AAAAResource(h, dnsmessage.AAAAResource{AAAA: a.As16()})
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// txtStrings renders TXT pairs sorted by key; an empty map is one empty
// string, as RFC 6763 §6.1 asks of a TXT record with nothing to say.
func txtStrings(pairs map[string]string) []string {
	if len(pairs) == 0 {
		return []string{""}
	}
	keys := make([]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+pairs[k])
	}
	return out
}

// AddrOf parses a host as an address, for building an Instance from a
// host string; an unparsable host gives none.
func AddrOf(host string) []netip.Addr {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return nil
	}
	return []netip.Addr{a}
}
