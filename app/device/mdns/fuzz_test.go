package mdns

import (
	"net/netip"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// FuzzParse: any datagram parses or fails cleanly, what it yields stays
// proportional to its size, a browse merging it never panics, and the
// responder's answer to it (when it is a query) parses.
func FuzzParse(f *testing.F) {
	f.Add(sscResponse)
	f.Add(sscResponse[:60])
	q, _ := Query(1, Question{Name: "_ssc._udp.local.", Type: dnsmessage.TypePTR})
	f.Add(q)
	published := []Instance{{Name: "Stage 1", Service: "_ssc._udp", Target: "EWDX-1.local.", Port: 45,
		Addrs: AddrOf("192.0.2.1"), TXT: map[string]string{"txtvers": "1", "version": "1.0"}}}
	msgs, _ := Answer(q, published)
	for _, m := range msgs {
		f.Add(m)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		// What the responder answers to it, if it is a query about what
		// it publishes, parses.
		answers, _ := Answer(data, published)
		for _, m := range answers {
			if _, err := Parse(m); err != nil {
				t.Fatalf("own answer does not parse: %v", err)
			}
		}
		rs, err := Parse(data)
		if err != nil {
			return
		}
		// Every record takes at least 11 bytes (a one-byte name, type,
		// class, TTL and length).
		if n := len(rs.PTR) + len(rs.SRV) + len(rs.TXT) + len(rs.Addr); n*11 > len(data) {
			t.Fatalf("%d bytes gave %d records", len(data), n)
		}
		b := &browse{svc: ServiceName("_ssc._udp"), service: "_ssc._udp", found: map[string]*Instance{},
			addrs: map[string][]netip.Addr{}, asked: map[string]bool{}}
		b.add(rs, netip.MustParseAddr("192.0.2.9"))
		for _, in := range b.result() {
			if in.Port <= 0 || in.Port > 65535 || len(in.Addrs) == 0 {
				t.Fatalf("instance %+v", in)
			}
		}
		_ = b.questions(false)
	})
}
