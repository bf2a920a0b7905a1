package sim

import (
	"testing"

	"micboard/app/device"
	_ "micboard/app/device/all"
)

// TestDemoModelsCoverEveryFamily: the demo fleet plays every device type the
// registry lists, so `micboard serve --demo` shows one of each.
func TestDemoModelsCoverEveryFamily(t *testing.T) {
	want := map[string]bool{}
	for _, v := range device.AllVendors() {
		for _, f := range v.Families {
			// A fallback type is what a device matching no family gets;
			// no model name leads to it, so no demo model plays it.
			if !f.Fallback {
				want[f.DeviceType] = true
			}
		}
	}
	for _, code := range DemoModels() {
		if _, err := lookupModel(code); err != nil {
			t.Fatalf("demo model %q: %v", code, err)
		}
	}
	fleet, err := StartFleet(FleetConfig{Receivers: len(DemoModels()), Models: DemoModels(), Host: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Stop()
	got := map[string]bool{}
	for _, ep := range fleet.Endpoints() {
		if dt := device.DeviceTypeOf(ep.Vendor, ep.Model); dt != "" {
			got[dt] = true
		}
	}
	for dt := range want {
		if !got[dt] {
			t.Errorf("no demo receiver of device type %q (endpoints %+v)", dt, fleet.Endpoints())
		}
	}
}
