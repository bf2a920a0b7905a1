package sim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"micboard/app/device/mdns"
)

// A fleet started with MDNSAddr answers a browse for _ssc._udp with its SSC
// receivers (EW-DX, Digital 6000) as they are now: the instance name is the
// device name, the SRV port the receiver's, the address its host. Shure, ew
// G4 and the SSCv2 models publish nothing; a renamed receiver is published
// under its new name and a stopped one not at all.
func TestFleetAnswersMDNS(t *testing.T) {
	fleet, err := StartFleet(FleetConfig{Receivers: 5, Models: []string{"ewdx2", "ulxd4q", "em6000", "ewg4", "ewdx2v2"},
		Host: "127.0.0.1", MDNSAddr: "127.0.0.1:0", Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Stop()
	if fleet.MDNSAddr() == "" {
		t.Fatal("no mdns address")
	}
	browse := func() map[string]mdns.Instance {
		t.Helper()
		got, err := mdns.Browse(context.Background(), mdns.BrowseOptions{Service: SSCService, Addr: fleet.MDNSAddr(),
			Window: 300 * time.Millisecond, Logger: quietLog})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]mdns.Instance{}
		for _, in := range got {
			out[in.Name] = in
		}
		return out
	}
	rxs := fleet.Receivers()
	got := browse()
	if len(got) != 2 {
		t.Fatalf("browse found %d instances, want the EW-DX and the EM 6000: %+v", len(got), got)
	}
	for _, rx := range []*Receiver{rxs[0], rxs[2]} {
		ep := rx.Endpoint()
		in, ok := got[ep.Name]
		if !ok || in.Port != ep.Port || fmt.Sprint(in.Addrs) != "["+ep.Host+"]" || in.TXT["txtvers"] != "1" || in.TXT["version"] != sscVersion {
			t.Errorf("%s published as %+v (found %v)", ep.Code, in, ok)
		}
	}
	if err := rxs[0].SetDeviceName("Renamed Rack"); err != nil {
		t.Fatal(err)
	}
	rxs[2].Stop()
	got = browse()
	if _, ok := got["Renamed Rack"]; !ok || len(got) != 1 {
		t.Errorf("after a rename and a stop: %+v", got)
	}
}
