package sim

import (
	"encoding/json"
	"testing"
	"time"
)

func startEWDX(t *testing.T, model string) (*Receiver, *ManualClock, *sscConn) {
	t.Helper()
	r, clk := startTest(t, ReceiverConfig{Model: model, Serial: "1234567890"})
	known(t, r, "HH01 Fatai", "SKM", 548000)
	return r, clk, dialSSC(t, r.Addr())
}

func TestSSCReadWriteErrors(t *testing.T) {
	r, _, c := startEWDX(t, "ewdx4")
	must(t, r.SetTxOff(2, true))
	tests := []struct {
		name, req, want string
	}{
		{"read name", `{"rx1":{"name":null}}`, `{"rx1":{"name":"HH01 Fatai"}}`},
		{"xid echoed", `{"osc":{"xid":1234567},"device":{"name":null}}`, `{"device":{"name":"Rack A"},"osc":{"xid":1234567}}`},
		{"identity", `{"device":{"identity":{"product":null,"serial":null,"version":null}}}`,
			`{"device":{"identity":{"product":"EW-DX EM 4","serial":"1234567890","version":"3.2.1"}}}`},
		{"channel", `{"rx1":{"frequency":null,"mute":null,"gain":null,"warnings":null}}`,
			`{"rx1":{"frequency":548000,"gain":0,"mute":false,"warnings":[]}}`},
		{"meters", `{"m":{"rx1":{"rssi":null,"rsqi":null,"af":null,"divi":null}}}`,
			`{"m":{"rx1":{"af":-30,"divi":1,"rsqi":100,"rssi":-50}}}`},
		{"transmitter", `{"mates":{"tx1":{"battery":{"gauge":null,"lifetime":null,"type":null},"type":null,"warnings":null}}}`,
			`{"mates":{"tx1":{"battery":{"gauge":80,"lifetime":480,"type":"Battery"},"type":"SKM","warnings":[]}}}`},
		{"write name", `{"rx1":{"name":"Vox"}}`, `{"rx1":{"name":"Vox"}}`},
		{"write with xid", `{"osc":{"xid":7},"rx3":{"mute":true}}`, `{"osc":{"xid":7},"rx3":{"mute":true}}`},
		{"write frequency", `{"rx1":{"frequency":550000}}`, `{"rx1":{"frequency":550000}}`},
		{"unknown leaf", `{"rx1":{"nope":null}}`, `{"osc":{"error":[{"rx1":{"nope":[404]}}]}}`},
		{"unknown channel", `{"rx9":{"name":null}}`, `{"osc":{"error":[{"rx9":[404]}]}}`},
		{"bad type", `{"rx1":{"mute":"yes"}}`, `{"osc":{"error":[{"rx1":{"mute":[406]}}]}}`},
		{"off grid", `{"rx1":{"frequency":548010}}`, `{"osc":{"error":[{"rx1":{"frequency":[406]}}]}}`},
		{"name too long", `{"rx1":{"name":"This Name Is Far Too Long"}}`, `{"osc":{"error":[{"rx1":{"name":[406]}}]}}`},
		{"read-only", `{"m":{"rx1":{"rssi":-3}}}`, `{"osc":{"error":[{"m":{"rx1":{"rssi":[406]}}}]}}`},
		{"error keeps xid", `{"osc":{"xid":9},"rx1":{"nope":null}}`, `{"osc":{"error":[{"rx1":{"nope":[404]}}],"xid":9}}`},
		{"atomic", `{"rx1":{"name":"Changed"},"rx2":{"bogus":null}}`, `{"osc":{"error":[{"rx2":{"bogus":[404]}}]}}`},
		{"unchanged after error", `{"rx1":{"name":null}}`, `{"rx1":{"name":"Vox"}}`},
		{"transmitter off", `{"mates":{"tx2":{"battery":{"gauge":null}}}}`, `{"osc":{"error":[{"mates":{"tx2":{"battery":{"gauge":[424]}}}}]}}`},
		{"no link meters", `{"m":{"rx2":{"rssi":null,"rsqi":null,"af":null,"divi":null}}}`,
			`{"m":{"rx2":{"af":-138.5,"divi":0,"rsqi":0,"rssi":-107}}}`},
		{"version", `{"osc":{"version":null}}`, `{"osc":{"version":"1.0"}}`},
		{"not json", `{"rx1":`, `{"osc":{"error":[400]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.roundTrip(tt.req, tt.want)
		})
	}
	if got := r.State().Channels[2].Mute; !got {
		t.Error("rx3 mute write did not stick")
	}
}

func TestSSCEM2HasTwoChannels(t *testing.T) {
	_, _, c := startEWDX(t, "ewdx2")
	c.roundTrip(`{"device":{"identity":{"product":null}}}`, `{"device":{"identity":{"product":"EW-DX EM 2"}}}`)
	c.roundTrip(`{"rx3":{"name":null}}`, `{"osc":{"error":[{"rx3":[404]}]}}`)
	c.roundTrip(`{"mates":{"tx3":{"type":null}}}`, `{"osc":{"error":[{"mates":{"tx3":[404]}}]}}`)
}

func TestSSCSubscribe(t *testing.T) {
	r, clk, c := startEWDX(t, "ewdx4")
	c.roundTrip(`{"osc":{"state":{"subscribe":[{"#":{"min":0,"max":0,"lifetime":60,"count":1000},"m":{"rx1":{"rssi":null}}}]}}}`,
		`{"osc":{"state":{"subscribe":[{"#":{"count":1000,"lifetime":60,"max":0,"min":0},"m":{"rx1":{"rssi":null}}}]}}}`)
	c.expect(`{"m":{"rx1":{"rssi":-50}}}`)
	clk.Advance(time.Second)
	c.quiet(50 * time.Millisecond) // unchanged, nothing pushed

	must(t, r.SetRF(1, -60, -70))
	clk.Advance(100 * time.Millisecond)
	c.expect(`{"m":{"rx1":{"rssi":-60}}}`)

	clk.Advance(59 * time.Second)
	c.expect(`{"osc":{"error":[{"m":{"rx1":{"rssi":[310]}}}]}}`)
	must(t, r.SetRF(1, -55, -70))
	clk.Advance(time.Second)
	c.quiet(50 * time.Millisecond)
}

func TestSSCSubscribeDefaultsAndRenew(t *testing.T) {
	r, clk, c := startEWDX(t, "ewdx4")
	sub := `{"osc":{"state":{"subscribe":[{"rx1":{"name":null}}]}}}`
	echo := `{"osc":{"state":{"subscribe":[{"#":{"count":1000,"lifetime":10,"max":0,"min":0},"rx1":{"name":null}}]}}}`
	c.roundTrip(sub, echo)
	c.expect(`{"rx1":{"name":"HH01 Fatai"}}`)
	must(t, r.SetName(1, "HH01 Greta"))
	clk.Advance(100 * time.Millisecond)
	c.expect(`{"rx1":{"name":"HH01 Greta"}}`)

	clk.Advance(7900 * time.Millisecond) // t = 8 s: renew before the 10 s lifetime
	c.roundTrip(sub, echo)
	c.expect(`{"rx1":{"name":"HH01 Greta"}}`)
	clk.Advance(4 * time.Second) // t = 12 s: the old subscription would have ended
	c.quiet(50 * time.Millisecond)
	clk.Advance(6 * time.Second) // t = 18 s: the renewed one ends
	c.expect(`{"osc":{"error":[{"rx1":{"name":[310]}}]}}`)
}

func TestSSCSubscribeMaxCountCancel(t *testing.T) {
	r, clk, c := startEWDX(t, "ewdx4")
	// max: pushed every 500 ms even when nothing changes.
	c.roundTrip(`{"osc":{"state":{"subscribe":[{"#":{"max":500,"lifetime":30},"m":{"rx1":{"af":null}}}]}}}`,
		`{"osc":{"state":{"subscribe":[{"#":{"count":1000,"lifetime":30,"max":500,"min":0},"m":{"rx1":{"af":null}}}]}}}`)
	c.expect(`{"m":{"rx1":{"af":-30}}}`)
	for i := 0; i < 4; i++ {
		clk.Advance(500 * time.Millisecond)
		c.expect(`{"m":{"rx1":{"af":-30}}}`)
	}
	// A bare {"cancel":true} is not in the guides: refused, the
	// subscription keeps pushing.
	c.roundTrip(`{"osc":{"state":{"subscribe":{"cancel":true}}}}`, `{"osc":{"error":[{"osc":{"state":{"subscribe":[406]}}}]}}`)
	clk.Advance(500 * time.Millisecond)
	c.expect(`{"m":{"rx1":{"af":-30}}}`)
	// The documented cancel names the addresses and is echoed (SSC
	// Developer's guide for ew D1, TI 1093 §5.1.9.5).
	c.roundTrip(`{"osc":{"state":{"subscribe":[{"#":{"cancel":true},"m":{"rx1":{"af":null}}}]}}}`,
		`{"osc":{"state":{"subscribe":[{"#":{"cancel":true},"m":{"rx1":{"af":null}}}]}}}`)
	clk.Advance(2 * time.Second)
	c.quiet(50 * time.Millisecond)

	// count: the subscription ends with a 310 after its last push.
	c.roundTrip(`{"osc":{"state":{"subscribe":[{"#":{"count":2},"rx1":{"gain":null}}]}}}`,
		`{"osc":{"state":{"subscribe":[{"#":{"count":2,"lifetime":10,"max":0,"min":0},"rx1":{"gain":null}}]}}}`)
	c.expect(`{"rx1":{"gain":0}}`)
	c.roundTrip(`{"rx1":{"gain":12}}`, `{"rx1":{"gain":12}}`)
	clk.Advance(100 * time.Millisecond)
	c.expect(`{"rx1":{"gain":12}}`)
	c.expect(`{"osc":{"error":[{"rx1":{"gain":[310]}}]}}`)

	// Bad subscriptions are refused whole.
	c.roundTrip(`{"osc":{"state":{"subscribe":[{"m":{"rx7":{"af":null}}}]}}}`, `{"osc":{"error":[{"m":{"rx7":[404]}}]}}`)
	c.roundTrip(`{"osc":{"state":{"subscribe":[{"#":{"lifetime":-1},"rx1":{"name":null}}]}}}`,
		`{"osc":{"error":[{"osc":{"state":{"subscribe":[406]}}}]}}`)
	_ = r
}

func TestSSCSubscribeTransmitter(t *testing.T) {
	r, clk, c := startEWDX(t, "ewdx4")
	must(t, r.SetTxOff(2, true))
	must(t, r.SetBatteryBars(2, 4))
	must(t, r.SetBatteryType(2, "ALKA"))
	c.roundTrip(`{"osc":{"state":{"subscribe":[{"#":{"lifetime":60},"mates":{"tx2":{"battery":{"gauge":null,"type":null}}}}]}}}`,
		`{"osc":{"state":{"subscribe":[{"#":{"count":1000,"lifetime":60,"max":0,"min":0},"mates":{"tx2":{"battery":{"gauge":null,"type":null}}}}]}}}`)
	c.expect(`{"osc":{"error":[{"mates":{"tx2":{"battery":{"gauge":[424]}}}},{"mates":{"tx2":{"battery":{"type":[424]}}}}]}}`)
	must(t, r.SetTxOff(2, false))
	clk.Advance(100 * time.Millisecond)
	c.expect(`{"mates":{"tx2":{"battery":{"gauge":80,"type":"Primary Cell"}}}}`)
	must(t, r.SetBatteryPercent(2, 15))
	clk.Advance(100 * time.Millisecond)
	c.expect(`{"mates":{"tx2":{"battery":{"gauge":15,"type":"Primary Cell"}}}}`)
	c.roundTrip(`{"mates":{"tx2":{"warnings":null}}}`, `{"mates":{"tx2":{"warnings":["LowBattery"]}}}`)
}

func TestSSCClip(t *testing.T) {
	r, clk, c := startEWDX(t, "ewdx2")
	must(t, r.Clip(1))
	c.roundTrip(`{"rx1":{"warnings":null},"m":{"rx1":{"af":null}}}`, `{"m":{"rx1":{"af":0}},"rx1":{"warnings":["AfPeak"]}}`)
	clk.Advance(clipHold)
	c.roundTrip(`{"rx1":{"warnings":null},"m":{"rx1":{"af":null}}}`, `{"m":{"rx1":{"af":-30}},"rx1":{"warnings":[]}}`)
}

func TestSSCDropStallGarbage(t *testing.T) {
	r, clk, c := startEWDX(t, "ewdx4")
	ping := `{"device":{"name":null}}`
	pong := `{"device":{"name":"Rack A"}}`
	c.roundTrip(ping, pong)

	r.Stall(true)
	c.send(ping)
	c.quiet(200 * time.Millisecond)
	r.Stall(false)
	c.roundTrip(ping, pong)

	r.Drop(5 * time.Second)
	c.send(ping)
	c.quiet(200 * time.Millisecond)
	clk.Advance(5 * time.Second)
	if r.Dropped() {
		t.Fatal("still dropped after 5 s")
	}
	c.roundTrip(ping, pong)

	r.SendGarbage()
	got, err := c.recv(2 * time.Second)
	if err != nil {
		t.Fatalf("no garbage datagram: %v", err)
	}
	if json.Valid([]byte(got)) {
		t.Fatalf("garbage was valid JSON: %q", got)
	}
	c.roundTrip(ping, pong)
	if n := r.Clients(); n != 1 {
		t.Fatalf("Clients() = %d, want 1", n)
	}
}
