package sim

import (
	"context"
	"strings"
	"testing"
	"time"

	"micboard/app/device"
	"micboard/app/device/sennheiser"
)

// identifySim asks a simulated receiver what it is through Micboard's own
// driver, the way `micboard receiver add` does.
func identifySim(t *testing.T, cfg ReceiverConfig) (device.Reading, *Receiver) {
	t.Helper()
	cfg.Host = "127.0.0.1"
	r, err := StartReceiver(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	// A G4 is reached on its own port; registered receivers carry the
	// family, which picks the transport.
	fam := ""
	if cfg.Model == "ewg4" {
		fam = "ewg4"
	}
	got, err := device.IdentifyWith(ctx, device.VendorSennheiser, device.Config{Host: "127.0.0.1", Port: r.Port(), Family: fam, DisableMeters: true})
	if err != nil {
		t.Fatal(err)
	}
	return got, r
}

func TestEM6000PlaysTheGuide(t *testing.T) {
	r, _ := startTest(t, ReceiverConfig{Model: "em6000dante"})
	c := dialSSC(t, r.Addr())
	// TI 1109 §8.103 product label; §8.27 battery as [state, time].
	c.roundTrip(`{"device":{"identity":{"product":null}}}`, `{"device":{"identity":{"product":"EM6000-Dante"}}}`)
	c.roundTrip(`{"rx1":{"frequency":null}}`, `{"osc":{"error":[{"rx1":{"frequency":[404]}}]}}`)
	c.send(`{"mm":null}`)
	b, err := c.recv(time.Second)
	if err != nil || !strings.HasPrefix(b, `{"mm":[[`) || strings.Count(b, ",") != 17 {
		t.Errorf("mm = %s", b)
	}
}

func TestDriverIdentifiesSennheiserFamilies(t *testing.T) {
	for _, tt := range []struct {
		code, product, family string
		channels              int
	}{
		{"em6000", "", "em6000", 2},
		{"em6000dante", "", "em6000", 2},
		{"ewdx2", "EM 2 Dante", "ewdx", 2},   // no family prefix
		{"ewdx4", "EWDX4CHDS", "ewdx", 4},    // the mDNS product type
		{"ewdx4", "SSC Receiver", "ewdx", 4}, // unlisted: known by its tree
		{"ewg4", "", "ewg4", 1},
	} {
		t.Run(tt.code+"/"+tt.product, func(t *testing.T) {
			got, _ := identifySim(t, ReceiverConfig{Model: tt.code, Product: tt.product})
			if got.Family != device.Some(tt.family) || got.ChannelCount != device.Some(tt.channels) || !got.Model.Set {
				t.Fatalf("identify = family %v channels %v model %v", got.Family, got.ChannelCount, got.Model)
			}
			for ch := 1; ch <= tt.channels; ch++ {
				if c := got.Channels[ch]; c == nil || !c.Name.Set {
					t.Errorf("channel %d has no name: %+v", ch, c)
				}
			}
		})
	}
}

var _ = sennheiser.G4Port
