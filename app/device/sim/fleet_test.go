package sim

import (
	"bytes"
	"encoding/json"
	"net"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFleetStartListStop(t *testing.T) {
	before := runtime.NumGoroutine()
	f, err := StartFleet(FleetConfig{
		Receivers: 8, Models: []string{"ulxd4q", "ulxd4d", "qlxd4", "ad4q", "ad4d", "slxd4d", "ewdx4", "ewdx2"},
		Scenario: ScenarioSteady, Seed: 1, Logger: quietLog,
	})
	must(t, err)

	eps := f.Endpoints()
	wantChannels := []int{4, 2, 1, 4, 2, 2, 4, 2}
	seenPorts := map[int]bool{}
	slot := regexp.MustCompile(`^(HH|BP)\d{2,}( \S.*)?$`)
	for i, ep := range eps {
		if ep.Channels != wantChannels[i] || ep.Port == 0 || seenPorts[ep.Port] || ep.Serial == "" || ep.Name == "" {
			t.Errorf("endpoint %d: %+v", i, ep)
		}
		seenPorts[ep.Port] = true
		wantVendor, wantProto := VendorShure, "tcp"
		if strings.HasPrefix(ep.Code, "ewdx") {
			wantVendor, wantProto = VendorSennheiser, "udp"
		}
		if ep.Vendor != wantVendor || ep.Protocol != wantProto {
			t.Errorf("endpoint %d: vendor %s/%s", i, ep.Vendor, ep.Protocol)
		}
		for _, ch := range f.Receivers()[i].State().Channels {
			if !slot.MatchString(ch.Name) {
				t.Errorf("%s channel %d: name %q is not `ID NAME`", ep.Model, ch.Channel, ch.Name)
			}
		}
	}

	var buf bytes.Buffer
	must(t, f.WriteJSON(&buf))
	var back []Endpoint
	must(t, json.Unmarshal(buf.Bytes(), &back))
	if len(back) != len(eps) || back[6] != eps[6] {
		t.Fatalf("JSON round trip: %+v", back)
	}

	// Every receiver answers its own protocol.
	for _, ep := range eps {
		if ep.Protocol == "tcp" {
			c := dialShure(t, ep.Addr())
			c.send("< GET DEVICE_ID >")
			c.expect("REP DEVICE_ID " + brace(ep.Name, deviceIDWidth(ep.Code)))
			c.conn.Close()
		} else {
			c := dialSSC(t, ep.Addr())
			c.roundTrip(`{"device":{"name":null}}`, `{"device":{"name":"`+ep.Name+`"}}`)
			c.conn.Close()
		}
	}

	must(t, f.Stop())
	must(t, f.Stop()) // idempotent
	for _, ep := range eps {
		if ep.Protocol == "tcp" {
			if conn, err := net.DialTimeout("tcp", ep.Addr(), time.Second); err == nil {
				conn.Close()
				t.Errorf("%s still accepts connections after Stop", ep.Addr())
			}
		} else {
			pc, err := net.ListenPacket("udp", ep.Addr())
			if err != nil {
				t.Errorf("%s still bound after Stop: %v", ep.Addr(), err)
			} else {
				pc.Close()
			}
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines leaked: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFleetBasePort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	base := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if base > 65000 {
		base -= 1000
	}
	f, err := StartFleet(FleetConfig{Receivers: 3, Models: []string{"ad4d", "ewdx2"}, BasePort: base, Seed: 3, Logger: quietLog})
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			t.Skipf("ports near %d busy: %v", base, err)
		}
		t.Fatal(err)
	}
	defer f.Stop()
	for i, ep := range f.Endpoints() {
		if ep.Port != base+i {
			t.Errorf("receiver %d on port %d, want %d", i, ep.Port, base+i)
		}
	}
	if got := f.Endpoints()[1].Model; got != "EW-DX EM 2" {
		t.Errorf("models not cycled: %s", got)
	}

	// A second fleet on the same ports fails cleanly and leaves nothing open.
	if _, err := StartFleet(FleetConfig{Receivers: 1, Models: []string{"ad4d"}, BasePort: base, Logger: quietLog}); err == nil {
		t.Fatal("second fleet on a busy port started")
	} else if !strings.Contains(err.Error(), strconv.Itoa(base)) {
		t.Errorf("error does not name the port: %v", err)
	}
}

func TestFleetNamesDeterministic(t *testing.T) {
	names := func(seed uint64) []string {
		f, err := StartFleet(FleetConfig{Receivers: 4, Models: []string{"ad4q", "ulxd4q"}, Seed: seed, Logger: quietLog})
		must(t, err)
		defer f.Stop()
		var out []string
		for _, r := range f.Receivers() {
			st := r.State()
			out = append(out, st.Name, st.Serial)
			for _, c := range st.Channels {
				out = append(out, c.Name)
			}
		}
		return out
	}
	a, b := names(9), names(9)
	if strings.Join(a, "|") != strings.Join(b, "|") {
		t.Fatalf("names differ for one seed:\n%v\n%v", a, b)
	}
	if strings.Join(a, "|") == strings.Join(names(10), "|") {
		t.Fatal("names identical across seeds")
	}
}
