package monitor_test

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/service"
	"micboard/app/store"
)

// Device class ids from the table in discovery_slp.go.
const (
	dcidULXD4Q = "CCD3F5A4-E139-11DF-95EF-0015C5F3F612"
	dcidAD4D   = "CD282D40-E139-11DF-8481-0015C5F3F612"
	dcidAD4Q   = "CD28E12C-E139-11DF-8153-0015C5F3F612"
)

// slpStr is an SLP string: 2-byte length, bytes.
func slpStr(s string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(s))), s...)
}

// slpMessage frames an SLPv2 body (RFC 2608 §8): version, function, 3-byte
// length, flags, next-extension offset, XID, language tag.
func slpMessage(function byte, body []byte) []byte {
	head := []byte{2, function, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34}
	head = append(head, slpStr("en")...)
	msg := append(head, body...)
	n := len(msg)
	msg[2], msg[3], msg[4] = byte(n>>16), byte(n>>8), byte(n)
	return msg
}

// slpSrvReg builds a service registration carrying attrs. The service type
// and URL are made up: only the "cd:" attribute matters to Micboard.
func slpSrvReg(url, attrs string) []byte {
	var b []byte
	b = append(b, 0)          // reserved
	b = append(b, 0xff, 0xff) // lifetime
	b = append(b, slpStr(url)...)
	b = append(b, 0) // URL auths
	b = append(b, slpStr("service:shure.wireless")...)
	b = append(b, slpStr("DEFAULT")...)
	b = append(b, slpStr(attrs)...)
	b = append(b, 0) // attribute auths
	return slpMessage(3, b)
}

func slpSAAdvert(url, attrs string) []byte {
	var b []byte
	b = append(b, slpStr(url)...)
	b = append(b, slpStr("DEFAULT")...)
	b = append(b, slpStr(attrs)...)
	b = append(b, 0)
	return slpMessage(11, b)
}

func TestParseSLP(t *testing.T) {
	srvReg := slpSrvReg("service:shure.wireless://192.0.2.50", "(cd:"+dcidAD4Q+"),(sn:X1234)")
	truncated := srvReg[:len(srvReg)-8] // the id stays whole; the attribute list's length now lies

	tests := []struct {
		name     string
		in       []byte
		ok       bool
		fn       uint8
		dcid     string
		model    string
		channels int
	}{
		{"SrvReg", srvReg, true, 3, dcidAD4Q, "AD4Q", 4},
		{"SAAdvert, lower-case id", slpSAAdvert("service:shure.wireless://192.0.2.51", "(cd:"+strings.ToLower(dcidAD4D)+")"), true, 11, dcidAD4D, "AD4D", 2},
		{"plain text, no header", []byte("x,(cd:" + dcidULXD4Q + "),y"), true, 0, dcidULXD4Q, "ULXD4Q", 4},
		{"attribute list wins over text", slpSrvReg("service:x://h/cd:DECOY", "(cd:"+dcidAD4Q+")"), true, 3, dcidAD4Q, "AD4Q", 4},
		{"unknown device class", slpSrvReg("service:x://h", "(cd:0123-4567)"), true, 3, "0123-4567", "", 0},
		{"truncated SrvReg still found in text", truncated, true, 3, dcidAD4Q, "AD4Q", 4},
		{"no cd: attribute", slpSrvReg("service:printer:lpr://h", "(x-model=LaserJet)"), false, 0, "", "", 0},
		{"cd: inside a word", []byte("(abcd:1234)"), false, 0, "", "", 0},
		{"cd: with no value", []byte("(cd:),(cd: )"), false, 0, "", "", 0},
		{"empty", nil, false, 0, "", "", 0},
		{"header only", []byte{2, 3, 0, 0, 14}, false, 0, "", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, ok := monitor.ParseSLP(tc.in)
			if ok != tc.ok || a.DCID != tc.dcid || a.Model != tc.model || a.Channels != tc.channels {
				t.Fatalf("ParseSLP = %+v, %v; want dcid %q model %q channels %d ok %v", a, ok, tc.dcid, tc.model, tc.channels, tc.ok)
			}
			if ok && a.Function != tc.fn {
				t.Errorf("function %d, want %d", a.Function, tc.fn)
			}
		})
	}
	if a, _ := monitor.ParseSLP(srvReg); a.URL != "service:shure.wireless://192.0.2.50" {
		t.Errorf("URL %q", a.URL)
	}
}

func TestModelForDCID(t *testing.T) {
	for dcid, want := range map[string]string{dcidULXD4Q: "ULXD4Q", dcidAD4D: "AD4D", " " + strings.ToLower(dcidAD4Q) + " ": "AD4Q"} {
		if m, n, ok := monitor.ModelForDCID(dcid); !ok || m != want || n == 0 || model.DeviceTypeForModel(m) == "" {
			t.Errorf("ModelForDCID(%q) = %q, %d, %v", dcid, m, n, ok)
		}
	}
	if _, _, ok := monitor.ModelForDCID("nope"); ok {
		t.Error("unknown id mapped")
	}
}

// FuzzParseSLP: anything may arrive on the multicast group; parsing must
// never panic and must only report ids it can stand behind.
func FuzzParseSLP(f *testing.F) {
	f.Add(slpSrvReg("service:shure.wireless://192.0.2.50", "(cd:"+dcidAD4Q+")"))
	f.Add(slpSAAdvert("service:shure.wireless://192.0.2.51", "(cd:"+dcidULXD4Q+")"))
	f.Add([]byte("(cd:" + dcidAD4D + ")"))
	f.Add([]byte{2, 3, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := monitor.ParseSLP(b)
		if !ok {
			if a != (monitor.SLPAnnouncement{}) {
				t.Fatalf("not ok but returned %+v", a)
			}
			return
		}
		if a.DCID == "" || len(a.DCID) > 64 || strings.ToUpper(a.DCID) != a.DCID || strings.ContainsAny(a.DCID, " ,()") {
			t.Fatalf("bad id %q", a.DCID)
		}
		m, n, known := monitor.ModelForDCID(a.DCID)
		if m != a.Model || n != a.Channels || known != (a.Model != "") {
			t.Fatalf("model %q/%d does not match the table (%q/%d)", a.Model, a.Channels, m, n)
		}
	})
}

// announce sends datagram to dst from the local address from, every 50 ms,
// until stop closes: a datagram sent before the Discoverer listens is lost.
func announce(t *testing.T, from, dst string, datagram []byte, stop <-chan struct{}) {
	t.Helper()
	conn, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(from)}, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(dst)))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer conn.Close()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			_, _ = conn.Write(datagram)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
}

func TestDiscoverSLP(t *testing.T) {
	// A real receiver answers at 127.0.0.6; 127.0.0.7 announces a known
	// class but answers nothing; 127.0.0.8 announces an unknown class and
	// answers nothing; 127.0.0.9 sends garbage.
	port, rxs := startSims(t, simSpec{"ulxd4q", "127.0.0.6"})
	listen := net.JoinHostPort("127.0.0.10", strconv.Itoa(freePort(t, "127.0.0.10")))

	stop := make(chan struct{})
	announce(t, "127.0.0.6", listen, slpSrvReg("service:shure.wireless://127.0.0.6", "(cd:"+dcidULXD4Q+")"), stop)
	announce(t, "127.0.0.7", listen, slpSAAdvert("service:shure.wireless://127.0.0.7", "(cd:"+dcidAD4D+")"), stop)
	announce(t, "127.0.0.8", listen, slpSrvReg("service:x://127.0.0.8", "(cd:FFFF-UNKNOWN)"), stop)
	announce(t, "127.0.0.9", listen, []byte{2, 3, 0xff, 0, 1, 2, 3}, stop)
	defer close(stop)

	st := store.New(dbtest.New(t))
	task := newTask(t, st, service.TaskInput{Kind: model.DiscoverySLP})
	opts := discoOpts(port)
	opts.SLPAddr = listen
	start := time.Now()
	if err := monitor.NewDiscoverer(st, opts).RunTask(context.Background(), task.ID); err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("slp run took %s with a 1 s listen", took)
	}

	got := reloadTask(t, st, task.ID)
	if got.Status != model.TaskSuccess || got.Scanned != 4 || got.Found != 2 {
		t.Errorf("task: status %s scanned %d found %d error %q (want 4 senders, 2 found)", got.Status, got.Scanned, got.Found, got.LastError)
	}
	found := discoveredByHost(t, st)
	if len(found) != 2 {
		t.Fatalf("discovered %d devices, want 2: %v", len(found), found)
	}
	// The receiver that answers is filed with its own answers.
	checkFound(t, found["127.0.0.6"], rxs[0].Endpoint())
	// The silent one is filed with what its announcement said.
	if d := found["127.0.0.7"]; d == nil || d.Model != "AD4D" || d.Channels != 2 || d.Port != port {
		t.Errorf("silent announcer filed as %+v", d)
	}
}
