package sim

import (
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// known puts channel 1 into a fixed state so answers are predictable:
// 4 bars = 80 % = 480 min on a LION pack, RF -50/-60 dBm, audio -30 dBFS.
func known(t *testing.T, r *Receiver, name, tx string, freq int) {
	t.Helper()
	must(t, r.SetTxOff(1, false))
	must(t, r.SetName(1, name))
	must(t, r.SetTxModel(1, tx))
	must(t, r.SetBatteryType(1, "LION"))
	must(t, r.SetBatteryBars(1, 4))
	must(t, r.SetFrequency(1, freq))
	must(t, r.SetRF(1, -50, -60))
	must(t, r.SetAudio(1, -30))
}

type exchange struct{ send, want string }

func TestShureCommandsByteExact(t *testing.T) {
	tests := []struct {
		model string
		name  string
		tx    string
		freq  int
		ex    []exchange
	}{
		{
			model: "ulxd4q", name: "HH01 Ayo", tx: "ULXD2", freq: 470125,
			ex: []exchange{
				{"< GET 1 BATT_BARS >", "< REP 1 BATT_BARS 004 >"},
				{"< GET 1 BATT_RUN_TIME >", "< REP 1 BATT_RUN_TIME 00480 >"},
				{"< GET 1 BATT_CHARGE >", "< REP 1 BATT_CHARGE 080 >"},
				{"< GET 1 BATT_TYPE >", "< REP 1 BATT_TYPE LION >"},
				{"< GET 1 TX_TYPE >", "< REP 1 TX_TYPE ULXD2 >"},
				{"< GET 1 TX_OFFSET >", "< REP 1 TX_OFFSET 000 >"},
				{"< GET 1 FREQUENCY >", "< REP 1 FREQUENCY 470125 >"},
				{"< GET 1 CHAN_NAME >", "< REP 1 CHAN_NAME {HH01 Ayo} >"},
				// ULX-D pads DEVICE_ID to 8 and FW_VER to 18 and stays silent
				// to MODEL and RF_BAND (companion-module-shure-wireless
				// src/internalAPI.js lists neither for ulx-d).
				{"< GET DEVICE_ID >", "< REP DEVICE_ID {Rack A  } >"},
				{"< GET MODEL >< GET RF_BAND >< GET FW_VER >", "< REP FW_VER {2.7.6.0           } >"},
				{"< GET 1 ALL >", "< REP 1 CHAN_NAME {HH01 Ayo} >< REP 1 BATT_BARS 004 >< REP 1 BATT_RUN_TIME 00480 >" +
					"< REP 1 BATT_CHARGE 080 >< REP 1 BATT_TYPE LION >< REP 1 TX_TYPE ULXD2 >< REP 1 TX_OFFSET 000 >" +
					"< REP 1 FREQUENCY 470125 >< REP 1 AUDIO_MUTE OFF >< REP 1 AUDIO_GAIN 018 >< REP 1 METER_RATE 00000 >"},
				{"< SET 1 CHAN_NAME {BP02 Mo} >", "< REP 1 CHAN_NAME {BP02 Mo } >"},
				{"< SET 1 CHAN_NAME {BP02 Fatai} >", "< REP ERR >"}, // 10 > 8 characters
				{"< SET 1 AUDIO_GAIN 030 >", "< REP 1 AUDIO_GAIN 030 >"},
				{"< SET 1 AUDIO_GAIN 061 >", "< REP ERR >"},
				{"< SET 1 AUDIO_MUTE ON >", "< REP 1 AUDIO_MUTE ON >"},
				{"< SET 1 FREQUENCY 500000 >", "< REP 1 FREQUENCY 500000 >"},
				{"< SET 1 FREQUENCY 0500000 >", "< REP ERR >"}, // 7 digits on a 6-digit family
				{"< SET 1 BATT_BARS 003 >", "< REP ERR >"},     // read-only
				{"< SET 1 METER_RATE 00050 >", "< REP ERR >"},  // faster than 100 ms
				{"< SET DEVICE_ID {Stage L} >", "< REP DEVICE_ID {Stage L } >"},
				{"< SET DEVICE_ID {Stage Left} >", "< REP ERR >"}, // DEVICE_ID holds 8
				{"< GET 1 NONSENSE >", "< REP ERR >"},
				{"< GET 5 BATT_BARS >", "< REP ERR >"},
				{"< GET 1 DEVICE_ID >", "< REP ERR >"},
				{"< HELLO >", "< REP ERR >"},
				{"<get 1 batt_bars>", "< REP 1 BATT_BARS 004 >"}, // forgiving of case and spacing
			},
		},
		{
			model: "qlxd4", name: "HH07 Bo", tx: "QLXD2", freq: 512000,
			ex: []exchange{
				{"< GET 1 TX_TYPE >", "< REP 1 TX_TYPE QLXD2 >"},
				{"< GET 1 CHAN_NAME >", "< REP 1 CHAN_NAME {HH07 Bo } >"},
				{"< GET 1 FREQUENCY >", "< REP 1 FREQUENCY 512000 >"},
				{"< GET MODEL >< GET 1 TX_TYPE >", "< REP 1 TX_TYPE QLXD2 >"},
				{"< GET 2 BATT_BARS >", "< REP ERR >"},
			},
		},
		{
			model: "ad4q", name: "HH01 Fatai", tx: "AD2", freq: 594075,
			ex: []exchange{
				{"< GET 1 TX_BATT_BARS >", "< REP 1 TX_BATT_BARS 004 >"},
				{"< GET 1 TX_BATT_MINS >", "< REP 1 TX_BATT_MINS 00480 >"},
				{"< GET 1 TX_BATT_CHARGE_PERCENT >", "< REP 1 TX_BATT_CHARGE_PERCENT 080 >"},
				{"< GET 1 TX_BATT_TYPE >", "< REP 1 TX_BATT_TYPE LION >"},
				{"< GET 1 TX_MODEL >", "< REP 1 TX_MODEL AD2 >"},
				{"< GET 1 TX_OFFSET >", "< REP 1 TX_OFFSET 012 >"},
				{"< GET 1 FREQUENCY >", "< REP 1 FREQUENCY 0594075 >"},
				{"< GET 1 CHAN_QUALITY >", "< REP 1 CHAN_QUALITY 005 >"},
				{"< GET 1 CHAN_NAME >", "< REP 1 CHAN_NAME {HH01 Fatai                     } >"},
				{"< GET MODEL >", "< REP MODEL {AD4Q-A                          } >"},
				{"< GET RF_BAND >", "< REP RF_BAND G57 >"},
				{"< GET 1 BATT_BARS >", "< REP ERR >"}, // ULX-D name on an AD
				{"< GET 1 ALL >", "< REP 1 CHAN_NAME {HH01 Fatai                     } >< REP 1 TX_BATT_BARS 004 >" +
					"< REP 1 TX_BATT_MINS 00480 >< REP 1 TX_BATT_CHARGE_PERCENT 080 >< REP 1 TX_BATT_TYPE LION >" +
					"< REP 1 TX_MODEL AD2 >< REP 1 TX_OFFSET 012 >< REP 1 FREQUENCY 0594075 >< REP 1 AUDIO_MUTE OFF >" +
					"< REP 1 AUDIO_GAIN 018 >< REP 1 CHAN_QUALITY 005 >< REP 1 METER_RATE 00000 >"},
				{"< SET 1 CHAN_NAME {Lead Vox With A Long Name} >", "< REP 1 CHAN_NAME {Lead Vox With A Long Name      } >"},
				{"< SET 1 FREQUENCY 0600000 >", "< REP 1 FREQUENCY 0600000 >"},
				{"< SET 1 TX_MODEL ADX1 >", "< REP ERR >"},
			},
		},
		{
			model: "slxd4d", name: "BP09 Spr", tx: "SLXD1", freq: 470000,
			ex: []exchange{
				{"< GET 1 TX_BATT_BARS >", "< REP 1 TX_BATT_BARS 004 >"},
				{"< GET 1 TX_BATT_MINS >", "< REP 1 TX_BATT_MINS 00480 >"},
				{"< GET 1 TX_MODEL >", "< REP 1 TX_MODEL SLXD1 >"},
				{"< GET 1 FREQUENCY >", "< REP 1 FREQUENCY 0470000 >"},
				{"< GET 1 AUDIO_MUTE >", "< REP ERR >"}, // SLX-D has no mute
				{"< GET 1 TX_BATT_CHARGE_PERCENT >", "< REP ERR >"},
				{"< GET 1 ALL >", "< REP 1 CHAN_NAME {BP09 Spr                       } >< REP 1 TX_BATT_BARS 004 >" +
					"< REP 1 TX_BATT_MINS 00480 >< REP 1 TX_MODEL SLXD1 >< REP 1 FREQUENCY 0470000 >" +
					"< REP 1 AUDIO_GAIN 018 >< REP 1 METER_RATE 00000 >"},
				{"< GET 3 TX_BATT_BARS >", "< REP ERR >"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			r, _ := startTest(t, ReceiverConfig{Model: tt.model})
			known(t, r, tt.name, tt.tx, tt.freq)
			c := dialShure(t, r.Addr())
			for _, ex := range tt.ex {
				c.send(ex.send)
				c.readExact(ex.want)
			}
		})
	}
}

func TestShureTransmitterOff(t *testing.T) {
	tests := []struct {
		model string
		ex    []exchange
	}{
		{"ulxd4d", []exchange{
			{"< GET 1 BATT_BARS >", "< REP 1 BATT_BARS 255 >"},
			{"< GET 1 BATT_RUN_TIME >", "< REP 1 BATT_RUN_TIME 65535 >"},
			{"< GET 1 BATT_CHARGE >", "< REP 1 BATT_CHARGE 255 >"},
			{"< GET 1 BATT_TYPE >", "< REP 1 BATT_TYPE UNKN >"},
			{"< GET 1 TX_TYPE >", "< REP 1 TX_TYPE UNKN >"},
			{"< GET 1 TX_OFFSET >", "< REP 1 TX_OFFSET 255 >"},
		}},
		{"ad4d", []exchange{
			{"< GET 1 TX_BATT_BARS >", "< REP 1 TX_BATT_BARS 255 >"},
			{"< GET 1 TX_BATT_MINS >", "< REP 1 TX_BATT_MINS 65535 >"},
			{"< GET 1 TX_BATT_CHARGE_PERCENT >", "< REP 1 TX_BATT_CHARGE_PERCENT 255 >"},
			{"< GET 1 TX_BATT_TYPE >", "< REP 1 TX_BATT_TYPE UNKN >"},
			{"< GET 1 TX_MODEL >", "< REP 1 TX_MODEL UNKNOWN >"},
			{"< GET 1 TX_OFFSET >", "< REP 1 TX_OFFSET 255 >"},
			{"< GET 1 CHAN_QUALITY >", "< REP 1 CHAN_QUALITY 255 >"},
		}},
		{"slxd4d", []exchange{
			{"< GET 1 TX_BATT_BARS >", "< REP 1 TX_BATT_BARS 255 >"},
			{"< GET 1 TX_BATT_MINS >", "< REP 1 TX_BATT_MINS 65535 >"},
			{"< GET 1 TX_MODEL >", "< REP 1 TX_MODEL UNKNOWN >"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			r, _ := startTest(t, ReceiverConfig{Model: tt.model})
			must(t, r.SetTxOff(1, true))
			c := dialShure(t, r.Addr())
			for _, ex := range tt.ex {
				c.send(ex.send)
				c.readExact(ex.want)
			}
		})
	}
}

// Alkaline packs have no fuel gauge: bars only, minutes and percent unknown.
func TestShureAlkalineHasNoRuntime(t *testing.T) {
	r, _ := startTest(t, ReceiverConfig{Model: "ulxd4q"})
	known(t, r, "HH01 Ayo", "ULXD2", 470125)
	must(t, r.SetBatteryType(1, "ALKA"))
	c := dialShure(t, r.Addr())
	c.send("< GET 1 BATT_BARS >< GET 1 BATT_RUN_TIME >< GET 1 BATT_CHARGE >")
	c.readExact("< REP 1 BATT_BARS 004 >< REP 1 BATT_RUN_TIME 65535 >< REP 1 BATT_CHARGE 255 >")
}

func TestShureGetAllChannels(t *testing.T) {
	for _, model := range []string{"ulxd4q", "ulxd4d", "qlxd4", "ad4q", "ad4d", "slxd4d"} {
		t.Run(model, func(t *testing.T) {
			r, _ := startTest(t, ReceiverConfig{Model: model})
			spec := modelSpecs[model]
			c := dialShure(t, r.Addr())
			c.send("< GET 0 ALL >")
			per := len(shureParams[spec.fam]) + 1 // + METER_RATE
			want := per * spec.channels
			seen := map[string]bool{}
			for i := 0; i < want; i++ {
				m, err := c.next(2 * time.Second)
				if err != nil {
					t.Fatalf("after %d of %d messages: %v", i, want, err)
				}
				f := strings.Fields(m)
				if len(f) < 4 || f[0] != "REP" {
					t.Fatalf("bad message %q", m)
				}
				seen[f[1]+" "+f[2]] = true
			}
			if len(seen) != want {
				t.Fatalf("got %d distinct channel/param pairs, want %d", len(seen), want)
			}
			c.quiet(100 * time.Millisecond)
		})
	}
}

func TestShureFramingAcrossWrites(t *testing.T) {
	r, _ := startTest(t, ReceiverConfig{Model: "ulxd4q"})
	known(t, r, "HH01 Ayo", "ULXD2", 470125)
	c := dialShure(t, r.Addr())
	// Two commands in one write, then one split in the middle.
	c.send("< GET 1 TX_TYPE >< GET FW_VER >< GET 1 BA")
	time.Sleep(20 * time.Millisecond)
	c.send("TT_BARS >")
	want := "< REP 1 TX_TYPE ULXD2 >< REP FW_VER {2.7.6.0           } >< REP 1 BATT_BARS 004 >"
	c.readExact(want)
	if hasNewline(want) {
		t.Fatal("newline on the wire")
	}
}

func TestShureSamples(t *testing.T) {
	tests := []struct {
		model, tx  string
		freq       int
		on, clip   string
		off        string
		sampleRate string
	}{
		{"ulxd4q", "ULXD2", 470125, "SAMPLE 1 ALL AX 078 020", "SAMPLE 1 ALL AX 078 050", "SAMPLE 1 ALL XX 000 000", "01000"},
		{"ad4q", "AD2", 594075, "SAMPLE 1 ALL 005 003 096 090 BB 31 070 15 060", "SAMPLE 1 ALL 005 159 120 112 BB 31 070 15 060",
			"SAMPLE 1 ALL 255 000 005 033 XX 00 011 00 012", "01000"},
		{"slxd4d", "SLXD2", 480000, "SAMPLE 1 ALL 096 090 070", "SAMPLE 1 ALL 120 112 070", "SAMPLE 1 ALL 000 000 000", "01000"},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			r, clk := startTest(t, ReceiverConfig{Model: tt.model})
			known(t, r, "HH01 Bo", tt.tx, tt.freq)
			c := dialShure(t, r.Addr())
			c.send("< SET 1 METER_RATE " + tt.sampleRate + " >")
			c.expect("REP 1 METER_RATE " + tt.sampleRate)

			clk.Advance(time.Second)
			c.expect(tt.on)
			must(t, r.Clip(1))
			clk.Advance(time.Second)
			c.expect(tt.clip)
			clk.Advance(time.Second) // the peak is reported once per clip
			c.expect(tt.on)
			must(t, r.SetTxOff(1, true))
			clk.Advance(time.Second)
			c.expect(tt.off)

			c.send("< SET 1 METER_RATE 00000 >")
			c.expect("REP 1 METER_RATE 00000")
			clk.Advance(5 * time.Second)
			c.quiet(100 * time.Millisecond)
		})
	}
}

func TestShureMeterRateRealTime(t *testing.T) {
	r, err := StartReceiver(ReceiverConfig{Model: "ulxd4d"})
	must(t, err)
	t.Cleanup(func() { _ = r.Stop() })
	c := dialShure(t, r.Addr())
	c.send("< SET 0 METER_RATE 00100 >")
	c.expect("REP 1 METER_RATE 00100")
	c.expect("REP 2 METER_RATE 00100")
	sample := regexp.MustCompile(`^SAMPLE [12] ALL (AX|XB|XX) \d{3} \d{3}$`)
	counts := map[string]int{}
	end := time.Now().Add(time.Second)
	for time.Now().Before(end) {
		m, err := c.next(time.Until(end))
		if err != nil {
			break
		}
		if !sample.MatchString(m) {
			t.Fatalf("unexpected message %q", m)
		}
		counts[m[7:8]]++
	}
	for _, ch := range []string{"1", "2"} {
		if n := counts[ch]; n < 5 || n > 13 {
			t.Errorf("channel %s: %d samples in 1 s at 100 ms, want about 10", ch, n)
		}
	}
	c.send("< SET 0 METER_RATE 00000 >")
	c.expect("REP 1 METER_RATE 00000")
	c.expect("REP 2 METER_RATE 00000")
	c.quiet(300 * time.Millisecond)
}

func TestShureUnpromptedReports(t *testing.T) {
	r, _ := startTest(t, ReceiverConfig{Model: "ulxd4q"})
	known(t, r, "HH01 Ayo", "ULXD2", 470125)
	a := dialShure(t, r.Addr())
	b := dialShure(t, r.Addr())
	waitClients(t, r, 2)

	must(t, r.SetBatteryBars(1, 2))
	for _, c := range []*shureConn{a, b} {
		c.expect("REP 1 BATT_BARS 002")
	}
	must(t, r.SetName(1, "HH01 Ola"))
	a.expect("REP 1 CHAN_NAME {HH01 Ola}")
	b.expect("REP 1 CHAN_NAME {HH01 Ola}")

	must(t, r.SetTxOff(1, true))
	a.expect("REP 1 BATT_BARS 255")
	a.expect("REP 1 TX_TYPE UNKN")
	must(t, r.SetTxOff(1, false))
	a.expect("REP 1 BATT_BARS 002")

	// A SET from one client answers it once and tells the others unprompted.
	a.msgs, b.msgs = nil, nil
	a.send("< SET 2 CHAN_NAME {BP05 Eli} >")
	a.expect("REP 2 CHAN_NAME {BP05 Eli}")
	a.quiet(100 * time.Millisecond)
	b.expect("REP 2 CHAN_NAME {BP05 Eli}")

	// METER_RATE is per client and never pushed to others.
	a.send("< SET 1 METER_RATE 05000 >")
	a.expect("REP 1 METER_RATE 05000")
	b.quiet(100 * time.Millisecond)
}

func waitClients(t *testing.T, r *Receiver, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for r.Clients() != n {
		if time.Now().After(deadline) {
			t.Fatalf("receiver has %d clients, want %d", r.Clients(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestShureDropRestore(t *testing.T) {
	r, clk := startTest(t, ReceiverConfig{Model: "ad4d"})
	addr := r.Addr()
	c := dialShure(t, addr)
	waitClients(t, r, 1)

	r.Drop(0)
	if _, err := c.next(2 * time.Second); !errors.Is(err, io.EOF) && !isReset(err) {
		t.Fatalf("after Drop the connection should close, got %v", err)
	}
	// The port stays bound (so nothing else can take it), but whatever
	// connects is reset at once, as a refusal would end it.
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, rerr := conn.Read(make([]byte, 1))
		conn.Close()
		if !errors.Is(rerr, io.EOF) && !isReset(rerr) {
			t.Fatalf("a connection while dropped was served: read %v", rerr)
		}
	}
	must(t, r.Restore())
	c2 := dialShure(t, addr)
	c2.send("< GET RF_BAND >")
	c2.readExact("< REP RF_BAND G57 >")

	// A timed drop restores itself when the clock passes.
	r.Drop(10 * time.Second)
	if !r.Dropped() {
		t.Fatal("not dropped")
	}
	clk.Advance(9 * time.Second)
	if !r.Dropped() {
		t.Fatal("restored too early")
	}
	clk.Advance(time.Second)
	if r.Dropped() {
		t.Fatal("not restored after 10 s")
	}
	c3 := dialShure(t, addr)
	c3.send("< GET RF_BAND >")
	c3.readExact("< REP RF_BAND G57 >")
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "closed"))
}

func TestShureStall(t *testing.T) {
	r, clk := startTest(t, ReceiverConfig{Model: "ulxd4q"})
	c := dialShure(t, r.Addr())
	c.send("< SET 1 METER_RATE 01000 >")
	c.expect("REP 1 METER_RATE 01000")

	r.Stall(true)
	c.send("< GET FW_VER >")
	clk.Advance(3 * time.Second)
	must(t, r.SetBatteryBars(1, 1))
	c.quiet(300 * time.Millisecond) // silent, but not closed (quiet fails on EOF)

	r.Stall(false)
	c.send("< GET FW_VER >")
	c.expect("REP FW_VER {2.7.6.0           }")
}

func TestShureGarbage(t *testing.T) {
	r, _ := startTest(t, ReceiverConfig{Model: "ulxd4q"})
	known(t, r, "HH01 Ayo", "ULXD2", 470125)
	c := dialShure(t, r.Addr())
	waitClients(t, r, 1)
	r.SendGarbage()
	c.send("< GET 1 BATT_BARS >")
	c.expect("REP 1 BATT_BARS 004")
	if c.sp.Dropped == 0 {
		t.Fatal("garbage did not reach the client")
	}
}

func TestShureMaxClients(t *testing.T) {
	r, _ := startTest(t, ReceiverConfig{Model: "qlxd4", MaxClients: 2})
	dialShure(t, r.Addr())
	dialShure(t, r.Addr())
	waitClients(t, r, 2)
	extra := dialShure(t, r.Addr())
	if _, err := extra.next(2 * time.Second); err == nil || isTimeout(err) {
		t.Fatalf("third client should be cut off, got %v", err)
	}
	if r.Clients() != 2 {
		t.Fatalf("clients = %d", r.Clients())
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"SET 1 CHAN_NAME {Lead Vox   }", []string{"SET", "1", "CHAN_NAME", "{Lead Vox   }"}},
		{"GET  1   ALL", []string{"GET", "1", "ALL"}},
		{"SET 1 CHAN_NAME {open", []string{"SET", "1", "CHAN_NAME", "{open"}},
		{"", nil},
	}
	for _, tt := range tests {
		got := tokenize(tt.in)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// With jitter, samples wobble around the channel's level as live audio does;
// without it, a level the scenario holds repeats sample after sample.
func TestShureMeterJitter(t *testing.T) {
	for _, jitter := range []float64{0, 6} {
		r, clk := startTest(t, ReceiverConfig{Model: "ulxd4d", MeterJitter: jitter})
		c := dialShure(t, r.Addr())
		c.send("< SET 1 METER_RATE 00100 >")
		c.expect("REP 1 METER_RATE 00100")
		seen := map[string]bool{}
		for i := 0; i < 10; i++ {
			clk.Advance(100 * time.Millisecond)
			m, err := c.next(time.Second)
			if err != nil {
				t.Fatal(err)
			}
			seen[m] = true
		}
		switch {
		case jitter == 0 && len(seen) != 1:
			t.Errorf("no jitter: %d different samples, want the same one: %v", len(seen), seen)
		case jitter > 0 && len(seen) < 4:
			t.Errorf("jitter %v dB: only %d different samples in 10: %v", jitter, len(seen), seen)
		}
	}
}
