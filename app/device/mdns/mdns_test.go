package mdns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// sscResponse is an answer shaped the way an SSC receiver's responder sends
// one to a browse for _ssc._udp: a PTR answer, then SRV (port 45), TXT
// (txtvers, version), A and an NSEC as additionals, with cache-flush bits
// and compressed names, id 0.
var sscResponse = []byte{
	0x00, 0x00, 0x84, 0x00, // id 0, response, authoritative
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, // 0 questions, 1 answer, 0 authorities, 4 additionals
	// 12: PTR _ssc._udp.local. → "EM 6000 Stage" + pointer to 12
	0x04, '_', 's', 's', 'c', 0x04, '_', 'u', 'd', 'p', 0x05, 'l', 'o', 'c', 'a', 'l', 0x00,
	0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x11, 0x94, 0x00, 0x10,
	0x0d, 'E', 'M', ' ', '6', '0', '0', '0', ' ', 'S', 't', 'a', 'g', 'e', 0xc0, 0x0c, // 39: instance name
	// 55: SRV of the instance (pointer 39), port 45, target EM6000-4a1b2c + pointer to local. (22)
	0xc0, 0x27, 0x00, 0x21, 0x80, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x16,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x2d,
	0x0d, 'E', 'M', '6', '0', '0', '0', '-', '4', 'a', '1', 'b', '2', 'c', 0xc0, 0x16, // 73: host name
	// 89: TXT of the instance
	0xc0, 0x27, 0x00, 0x10, 0x80, 0x01, 0x00, 0x00, 0x11, 0x94, 0x00, 0x16,
	0x09, 't', 'x', 't', 'v', 'e', 'r', 's', '=', '1',
	0x0b, 'v', 'e', 'r', 's', 'i', 'o', 'n', '=', '1', '.', '0',
	// 123: A of the host (pointer 73 = 0x49): 192.168.1.45
	0xc0, 0x49, 0x00, 0x01, 0x80, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x04, 0xc0, 0xa8, 0x01, 0x2d,
	// 139: NSEC of the host, skipped
	0xc0, 0x49, 0x00, 0x2f, 0x80, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x08,
	0xc0, 0x49, 0x00, 0x04, 0x40, 0x00, 0x00, 0x08,
}

func TestParseSSCResponse(t *testing.T) {
	rs, err := Parse(sscResponse)
	if err != nil {
		t.Fatal(err)
	}
	want := Records{
		Response: true,
		PTR:      []PTR{{Name: "_ssc._udp.local.", Target: "EM 6000 Stage._ssc._udp.local."}},
		SRV:      []SRV{{Name: "EM 6000 Stage._ssc._udp.local.", Target: "EM6000-4a1b2c.local.", Port: 45}},
		TXT:      []TXT{{Name: "EM 6000 Stage._ssc._udp.local.", Pairs: map[string]string{"txtvers": "1", "version": "1.0"}}},
		Addr:     []Addr{{Name: "EM6000-4a1b2c.local.", IP: netip.MustParseAddr("192.168.1.45")}},
	}
	if !reflect.DeepEqual(rs, want) {
		t.Fatalf("Parse =\n%+v\nwant\n%+v", rs, want)
	}
	if label, ok := instanceLabel(rs.PTR[0].Target, ServiceName("_ssc._udp")); !ok || label != "EM 6000 Stage" {
		t.Errorf("instance label %q %v", label, ok)
	}
}

// Cut anywhere, or with a pointer that loops, the message is an error and
// nothing of it is returned.
func TestParseRefusesBrokenMessages(t *testing.T) {
	for n := 0; n < len(sscResponse); n++ {
		if _, err := Parse(sscResponse[:n]); err == nil {
			t.Errorf("Parse of the first %d bytes succeeded", n)
		}
	}
	loop := append([]byte(nil), sscResponse...)
	loop[39], loop[40] = 0xc0, 39 // the instance name points at itself
	if _, err := Parse(loop); err == nil {
		t.Error("a looping name pointer parsed")
	}
}

func TestTXTPairs(t *testing.T) {
	got := txtPairs([]string{"TxtVers=1", "txtvers=2", "flag", "=nokey", "http-uri=https://h:443/api", ""})
	want := map[string]string{"txtvers": "1", "flag": "", "http-uri": "https://h:443/api"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("txtPairs = %v, want %v", got, want)
	}
}

// A responder answers a browse with every instance of the service, SRV,
// TXT and addresses included; instances of other services stay out.
func TestBrowseAResponder(t *testing.T) {
	instances := []Instance{
		{Name: "Stage Left 001", Service: "_ssc._udp", Target: "EWDX4-1.local.", Port: 45, Addrs: AddrOf("127.0.0.21"),
			TXT: map[string]string{"txtvers": "1", "version": "1.0"}},
		{Name: "Monitor World 002", Service: "_ssc._udp", Target: "EM6000-2.local.", Port: 6970,
			Addrs: []netip.Addr{netip.MustParseAddr("fe80::1"), netip.MustParseAddr("127.0.0.22")}},
		{Name: "Printer", Service: "_ipp._tcp", Target: "printer.local.", Port: 631, Addrs: AddrOf("127.0.0.23")},
	}
	r, err := Listen("127.0.0.1:0", func() []Instance { return instances }, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := Browse(context.Background(), BrowseOptions{Service: "_ssc._udp", Addr: r.Addr(), Window: 500 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Browse found %d instances, want 2: %+v", len(got), got)
	}
	// Sorted by name; IPv4 first.
	if g := got[0]; g.Name != "Monitor World 002" || g.Port != 6970 || g.Target != "EM6000-2.local." ||
		fmt.Sprint(g.Addrs) != "[127.0.0.22 fe80::1]" || len(g.TXT) != 0 {
		t.Errorf("first instance %+v", g)
	}
	if g := got[1]; g.Name != "Stage Left 001" || g.Port != 45 || fmt.Sprint(g.Addrs) != "[127.0.0.21]" || g.TXT["version"] != "1.0" {
		t.Errorf("second instance %+v", g)
	}
}

// answerServer answers queries on loopback with fn's datagrams.
func answerServer(t *testing.T, fn func(q dnsmessage.Header, qs []dnsmessage.Question) [][]byte) string {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { conn.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, MaxMessage)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			qs, _ := p.AllQuestions()
			for _, m := range fn(h, qs) {
				_, _ = conn.WriteToUDP(m, from)
			}
		}
	}()
	return conn.LocalAddr().String()
}

// A responder that answers a browse with the PTR alone is asked for the SRV,
// TXT and address; junk, queries and answers to another id in between are
// skipped, not fatal.
func TestBrowseAsksForWhatIsMissing(t *testing.T) {
	in := Instance{Name: "Rack 3", Service: "_ssc._udp", Target: "EWDX-3.local.", Port: 45, Addrs: AddrOf("127.0.0.31"),
		TXT: map[string]string{"txtvers": "1"}}
	var mu sync.Mutex
	asked := map[dnsmessage.Type]int{}
	addr := answerServer(t, func(h dnsmessage.Header, qs []dnsmessage.Question) [][]byte {
		var out [][]byte
		out = append(out, []byte{0xde, 0xad, 0x84}, sscResponse[:60]) // junk, a cut answer
		other, _ := answerMessage(h.ID+1, nil, []Instance{{Name: "Decoy", Service: "_ssc._udp", Target: "d.local.", Port: 9}}, nil)
		out = append(out, other)
		query, _ := Query(h.ID, Question{Name: "_ssc._udp.local.", Type: dnsmessage.TypePTR})
		out = append(out, query)
		for _, q := range qs {
			mu.Lock()
			asked[q.Type]++
			mu.Unlock()
			var recs []record
			switch q.Type {
			case dnsmessage.TypePTR:
				// A PTR answer with no additionals.
				b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true})
				_ = b.StartAnswers()
				_ = addPTR(&b, in)
				msg, _ := b.Finish()
				out = append(out, msg)
				continue
			case dnsmessage.TypeSRV, dnsmessage.TypeTXT, dnsmessage.TypeA:
				recs = append(recs, record{typ: q.Type, in: in})
			}
			msg, _ := answerMessage(h.ID, qs, nil, recs)
			out = append(out, msg)
		}
		return out
	})
	got, err := Browse(context.Background(), BrowseOptions{Service: "_ssc._udp", Addr: addr, Window: 500 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "Rack 3" || got[0].Port != 45 || fmt.Sprint(got[0].Addrs) != "[127.0.0.31]" || got[0].TXT["txtvers"] != "1" {
		t.Fatalf("Browse = %+v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if asked[dnsmessage.TypeSRV] == 0 || asked[dnsmessage.TypeTXT] == 0 || asked[dnsmessage.TypeA] == 0 {
		t.Errorf("follow-up questions asked: %v", asked)
	}
}

// Without an address record, the address the answer came from is used.
func TestBrowseFallsBackToTheSender(t *testing.T) {
	in := Instance{Name: "No A", Service: "_ssc._udp", Target: "noa.local.", Port: 45}
	r, err := Listen("127.0.0.1:0", func() []Instance { return []Instance{in} }, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := Browse(context.Background(), BrowseOptions{Service: "_ssc._udp", Addr: r.Addr(), Window: 300 * time.Millisecond, Logger: quiet})
	if err != nil || len(got) != 1 || fmt.Sprint(got[0].Addrs) != "[127.0.0.1]" {
		t.Fatalf("Browse = %+v, %v", got, err)
	}
}

// The window bounds a browse, and a cancelled context ends it at once.
func TestBrowseWindowAndCancel(t *testing.T) {
	addr := answerServer(t, func(dnsmessage.Header, []dnsmessage.Question) [][]byte { return nil })
	start := time.Now()
	got, err := Browse(context.Background(), BrowseOptions{Service: "_ssc._udp", Addr: addr, Window: 200 * time.Millisecond, Logger: quiet})
	if err != nil || len(got) != 0 {
		t.Fatalf("Browse of a silent address = %+v, %v", got, err)
	}
	if took := time.Since(start); took < 200*time.Millisecond || took > 2*time.Second {
		t.Errorf("a 200 ms browse took %s", took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = Browse(ctx, BrowseOptions{Service: "_ssc._udp", Addr: addr, Window: time.Minute, Logger: quiet})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled browse = %v after %s", err, time.Since(start))
	}
}

// A large set of instances is answered in several datagrams, all heard.
func TestResponderSplitsLargeAnswers(t *testing.T) {
	var instances []Instance
	for i := range 30 {
		instances = append(instances, Instance{Name: fmt.Sprintf("Receiver %02d", i), Service: "_ssc._udp",
			Target: fmt.Sprintf("rx%02d.local.", i), Port: 20000 + i, Addrs: AddrOf(fmt.Sprintf("127.0.1.%d", i+1))})
	}
	q, err := Query(7, Question{Name: "_ssc._udp.local.", Type: dnsmessage.TypePTR})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := Answer(q, instances)
	if err != nil || len(msgs) != 4 {
		t.Fatalf("Answer = %d messages, %v; want 4", len(msgs), err)
	}
	for _, m := range msgs {
		rs, err := Parse(m)
		if err != nil || rs.ID != 7 || len(rs.PTR) == 0 || len(rs.PTR) != len(rs.SRV) {
			t.Errorf("answer %+v, %v", rs, err)
		}
	}
	if msgs, _ := Answer(sscResponse, instances); msgs != nil {
		t.Error("a response was answered")
	}
	other, _ := Query(8, Question{Name: "_http._tcp.local.", Type: dnsmessage.TypePTR})
	if msgs, _ := Answer(other, instances); msgs != nil {
		t.Error("a question about another service was answered")
	}
}
