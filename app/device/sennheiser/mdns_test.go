package sennheiser

import (
	"testing"

	"micboard/app/device"
)

// What a published _ssc._udp instance says about its model: a product TXT
// key or a product-name instance counts when the family table knows it; a
// device name (the guides make the instance name /device/name) does not.
func TestMDNSModel(t *testing.T) {
	v, ok := device.Publisher(device.VendorSennheiser)
	if !ok || v.MDNSService != "_ssc._udp" || v.MDNSModel == nil {
		t.Fatalf("sennheiser publishes %q (%v)", v.MDNSService, ok)
	}
	if _, ok := device.Publisher(device.VendorShure); ok {
		t.Error("shure devices publish no DNS-SD service")
	}
	tests := []struct {
		instance string
		txt      map[string]string
		model    string
		channels int
		ok       bool
	}{
		{"Stage Left 001", map[string]string{"txtvers": "1", "version": "1.0"}, "", 0, false},
		{"Stage Left 001", map[string]string{"product": "EM6000-Dante"}, "EM 6000 Dante", 2, true},
		{"Rack", map[string]string{"model": "EWDX4CHDS"}, "EW-DX EM 4 Dante", 4, true},
		{"EW-DX EM 2", nil, "EW-DX EM 2", 2, true},
		// An unlisted spelling is left to the device to say.
		{"Rack", map[string]string{"product": "EW-DX EM 8"}, "", 0, false},
	}
	for _, tt := range tests {
		model, ch, ok := v.MDNSModel(tt.instance, tt.txt)
		if model != tt.model || ch != tt.channels || ok != tt.ok {
			t.Errorf("MDNSModel(%q, %v) = %q %d %v; want %q %d %v", tt.instance, tt.txt, model, ch, ok, tt.model, tt.channels, tt.ok)
		}
	}
}
