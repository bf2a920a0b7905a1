package sim

import (
	"context"
	"testing"
	"time"

	"micboard/app/device"
	"micboard/app/device/sennheiser"
)

// TestG4IdentifiedByProbing: an ew G4 added by address alone on a port that
// is not 53212 (a NAT, a port forward, the demo's loopback ports) is told
// apart from an SSC receiver by asking it both ways, and registered as an
// ew G4; an SSC receiver on such a port still identifies over SSC.
func TestG4IdentifiedByProbing(t *testing.T) {
	for _, tt := range []struct {
		code, family string
		channels     int
	}{
		{"ewg4", "ewg4", 1},
		{"ewdx4", "ewdx", 4},
		{"em6000", "em6000", 2},
	} {
		t.Run(tt.code, func(t *testing.T) {
			r, err := StartReceiver(ReceiverConfig{Model: tt.code, Host: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = r.Stop() })
			if r.Port() == sennheiser.G4Port || r.Port() == sennheiser.DefaultPort {
				t.Skipf("picked a family's own port %d", r.Port())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
			defer cancel()
			if !sennheiser.Probe(ctx, "127.0.0.1", r.Port(), time.Second) {
				t.Fatal("probe: no answer")
			}
			got, err := device.Identify(ctx, device.VendorSennheiser, "127.0.0.1", r.Port())
			if err != nil {
				t.Fatal(err)
			}
			if got.Family != device.Some(tt.family) || got.ChannelCount != device.Some(tt.channels) {
				t.Fatalf("identify = family %v channels %v", got.Family, got.ChannelCount)
			}
		})
	}
}

// TestProbeSilentPort: nothing listening answers neither probe.
func TestProbeSilentPort(t *testing.T) {
	r, err := StartReceiver(ReceiverConfig{Model: "ewg4", Host: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	port := r.Port()
	_ = r.Stop()
	if sennheiser.Probe(context.Background(), "127.0.0.1", port, 300*time.Millisecond) {
		t.Fatal("a closed port answered")
	}
}
