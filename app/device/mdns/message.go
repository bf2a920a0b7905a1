// Package mdns browses and answers DNS-SD services over multicast DNS (RFC
// 6762, RFC 6763): enough for discovery to find devices that publish a
// service (Sennheiser SSC receivers publish `_ssc._udp`) and for the
// simulator to publish its receivers. Messages are encoded and decoded with
// golang.org/x/net/dns/dnsmessage; answers are untrusted bytes, so a
// malformed one is an error, never a panic.
package mdns

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// DefaultAddr is the IPv4 mDNS group and port queries go to.
const DefaultAddr = "224.0.0.251:5353"

// Port is the mDNS port. A query sent from any other port is a "legacy
// unicast" query (RFC 6762 §6.7): responders answer it by unicast to the
// sender, echoing its id and questions.
const Port = 5353

// MaxMessage is the largest mDNS message (RFC 6762 §17).
const MaxMessage = 9000

// Bounds on what one browse keeps, so a flood of answers cannot grow memory
// without end.
const (
	maxInstances = 512
	maxTXTPairs  = 64
	maxAddrs     = 8
)

// classMask drops the cache-flush (answers) or unicast-response (questions)
// bit from a class (RFC 6762 §10.2, §5.4).
const classMask = 0x7fff

// ServiceName is the DNS name a service type is browsed under:
// "_ssc._udp" → "_ssc._udp.local.".
func ServiceName(service string) string {
	s := strings.TrimSuffix(strings.TrimSpace(service), ".")
	s = strings.TrimSuffix(s, ".local")
	return s + ".local."
}

// Instance is one published service instance: who it is (RFC 6763 §4.1),
// where it listens (SRV), on which addresses (A/AAAA) and what else it says
// (TXT).
type Instance struct {
	Name    string // the instance label, e.g. "Stage Left 001"
	Service string // the service type, e.g. "_ssc._udp"
	Target  string // SRV target host, e.g. "EM6000-1234.local."
	Port    int    // SRV port, 0 until an SRV record was heard
	Addrs   []netip.Addr
	// TXT holds the TXT record's key=value pairs, keys lower-case (RFC 6763
	// §6.4: keys are case-insensitive); a key without "=" maps to "".
	TXT map[string]string
	// From is the address the first answer about the instance came from.
	From netip.Addr
}

// FullName is the instance's DNS name: "<name>.<service>.local.".
func (in Instance) FullName() string { return in.Name + "." + ServiceName(in.Service) }

// Records is what one mDNS message says, record by record.
type Records struct {
	ID       uint16
	Response bool
	PTR      []PTR
	SRV      []SRV
	TXT      []TXT
	Addr     []Addr
}

// PTR points a service name at an instance's full name.
type PTR struct{ Name, Target string }

// SRV says where an instance listens.
type SRV struct {
	Name   string
	Target string
	Port   int
}

// TXT is an instance's key=value pairs.
type TXT struct {
	Name  string
	Pairs map[string]string
}

// Addr is an A or AAAA record.
type Addr struct {
	Name string
	IP   netip.Addr
}

// ErrNotResponse: the message is a query, not an answer.
var ErrNotResponse = errors.New("mdns: message is not a response")

// Parse decodes an mDNS message: the PTR, SRV, TXT, A and AAAA records of
// its answer and additional sections (others, and records of a class other
// than IN, are skipped). A message that does not decode is an error; nothing
// of it is returned.
func Parse(msg []byte) (Records, error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return Records{}, fmt.Errorf("mdns: header: %w", err)
	}
	rs := Records{ID: h.ID, Response: h.Response}
	if err := p.SkipAllQuestions(); err != nil {
		return Records{}, fmt.Errorf("mdns: questions: %w", err)
	}
	if err := readSection(&p, &rs, p.AnswerHeader, p.SkipAnswer); err != nil {
		return Records{}, fmt.Errorf("mdns: answers: %w", err)
	}
	if err := p.SkipAllAuthorities(); err != nil {
		return Records{}, fmt.Errorf("mdns: authorities: %w", err)
	}
	if err := readSection(&p, &rs, p.AdditionalHeader, p.SkipAdditional); err != nil {
		return Records{}, fmt.Errorf("mdns: additionals: %w", err)
	}
	return rs, nil
}

// readSection reads the records of one section into rs.
func readSection(p *dnsmessage.Parser, rs *Records, header func() (dnsmessage.ResourceHeader, error), skip func() error) error {
	for {
		h, err := header()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			return nil
		}
		if err != nil {
			return err
		}
		name := h.Name.String()
		if h.Class&classMask != dnsmessage.ClassINET {
			if err := skip(); err != nil {
				return err
			}
			continue
		}
		switch h.Type {
		case dnsmessage.TypePTR:
			r, err := p.PTRResource()
			if err != nil {
				return err
			}
			rs.PTR = append(rs.PTR, PTR{Name: name, Target: r.PTR.String()})
		case dnsmessage.TypeSRV:
			r, err := p.SRVResource()
			if err != nil {
				return err
			}
			rs.SRV = append(rs.SRV, SRV{Name: name, Target: r.Target.String(), Port: int(r.Port)})
		case dnsmessage.TypeTXT:
			r, err := p.TXTResource()
			if err != nil {
				return err
			}
			rs.TXT = append(rs.TXT, TXT{Name: name, Pairs: txtPairs(r.TXT)})
		case dnsmessage.TypeA:
			r, err := p.AResource()
			if err != nil {
				return err
			}
			rs.Addr = append(rs.Addr, Addr{Name: name, IP: netip.AddrFrom4(r.A)})
		case dnsmessage.TypeAAAA:
			r, err := p.AAAAResource()
			if err != nil {
				return err
			}
			rs.Addr = append(rs.Addr, Addr{Name: name, IP: netip.AddrFrom16(r.AAAA)})
		default:
			if err := skip(); err != nil {
				return err
			}
		}
	}
}

// txtPairs reads TXT strings as key=value pairs (RFC 6763 §6.3-6.4): keys
// are case-insensitive, the first occurrence of a key wins, a string
// without "=" is a flag, and an empty key is ignored.
func txtPairs(strs []string) map[string]string {
	out := map[string]string{}
	for _, s := range strs {
		k, v, _ := strings.Cut(s, "=")
		k = strings.ToLower(k)
		if k == "" || len(out) >= maxTXTPairs {
			continue
		}
		if _, dup := out[k]; !dup {
			out[k] = v
		}
	}
	return out
}

// Question is one question of a query.
type Question struct {
	Name string
	Type dnsmessage.Type
}

// Query encodes a query with the given id and questions. Names must be
// absolute ("_ssc._udp.local.").
func Query(id uint16, qs ...Question) ([]byte, error) {
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), dnsmessage.Header{ID: id})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, fmt.Errorf("mdns: query: %w", err)
	}
	for _, q := range qs {
		n, err := dnsmessage.NewName(q.Name)
		if err != nil {
			return nil, fmt.Errorf("mdns: query name %q: %w", q.Name, err)
		}
		if err := b.Question(dnsmessage.Question{Name: n, Type: q.Type, Class: dnsmessage.ClassINET}); err != nil {
			return nil, fmt.Errorf("mdns: query %q: %w", q.Name, err)
		}
	}
	msg, err := b.Finish()
	if err != nil {
		return nil, fmt.Errorf("mdns: query: %w", err)
	}
	return msg, nil
}

// sameName compares DNS names as DNS does: ASCII case-insensitive, with or
// without the root dot.
func sameName(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// instanceLabel returns the instance part of a full instance name under
// service name svc ("Stage 1._ssc._udp.local." → "Stage 1"), false when the
// name is not under svc or has no instance part.
func instanceLabel(full, svc string) (string, bool) {
	f, s := strings.TrimSuffix(full, "."), "."+strings.TrimSuffix(svc, ".")
	if len(f) <= len(s) || !strings.EqualFold(f[len(f)-len(s):], s) {
		return "", false
	}
	return f[:len(f)-len(s)], true
}
