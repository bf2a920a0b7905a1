package shure

import (
	"fmt"
	"slices"
	"testing"

	"micboard/app/device"
)

// decodeOne applies one wire message for a family and returns channel 1 (or
// the receiver facts via r).
func decodeOne(t *testing.T, fam Family, wire string) (device.Reading, bool) {
	t.Helper()
	var r device.Reading
	m := parseFramed(t, wire)
	changed := Apply(&r, &m, fam)
	return r, changed
}

func TestApplyChannelParams(t *testing.T) {
	type check func(c *device.ChannelReading) string
	eq := func(field string, got, want any) string {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Sprintf("%s = %v, want %v", field, got, want)
		}
		return ""
	}
	tests := []struct {
		fam   Family
		wire  string
		check check
	}{
		{FamilyAD, "< REP 1 CHAN_NAME {Lead Vox                       } >", func(c *device.ChannelReading) string {
			return eq("name", c.Name, device.Some("Lead Vox"))
		}},
		// Battery bars: ULX-D BATT_BARS, AD/SLX-D TX_BATT_BARS, 255 unknown.
		{FamilyULXD, "< REP 1 BATT_BARS 004 >", func(c *device.ChannelReading) string {
			return eq("bars", c.BatteryBars, device.Some(4))
		}},
		{FamilyULXD, "< REP 1 BATT_BARS 255 >", func(c *device.ChannelReading) string {
			return eq("bars", c.BatteryBars, device.Unknown[int]())
		}},
		{FamilyAD, "< REP 1 TX_BATT_BARS 000 >", func(c *device.ChannelReading) string {
			return eq("bars", c.BatteryBars, device.Some(0))
		}},
		{FamilySLXD, "< REP 1 TX_BATT_BARS 255 >", func(c *device.ChannelReading) string {
			return eq("bars", c.BatteryBars, device.Unknown[int]())
		}},
		{FamilyAD, "< REP 1 TX_BATT_BARS 009 >", func(c *device.ChannelReading) string {
			return eq("bars", c.BatteryBars, device.Unknown[int]())
		}},
		// Runtime with its three sentinels.
		{FamilyULXD, "< REP 1 BATT_RUN_TIME 00312 >", func(c *device.ChannelReading) string {
			return eq("minutes", c.BatteryMinutes, device.Some(312)) + eq("state", c.BatteryRuntime, device.RuntimeValid)
		}},
		{FamilyULXD, "< REP 1 BATT_RUN_TIME 65535 >", func(c *device.ChannelReading) string {
			return eq("minutes", c.BatteryMinutes, device.Unknown[int]()) + eq("state", c.BatteryRuntime, device.RuntimeUnknown)
		}},
		{FamilyAD, "< REP 1 TX_BATT_MINS 65534 >", func(c *device.ChannelReading) string {
			return eq("state", c.BatteryRuntime, device.RuntimeCalculating) + eq("known", c.BatteryMinutes.Known(), false)
		}},
		{FamilySLXD, "< REP 1 TX_BATT_MINS 65533 >", func(c *device.ChannelReading) string {
			return eq("state", c.BatteryRuntime, device.RuntimeCommsWarning) + eq("set", c.BatteryMinutes.Set, true)
		}},
		// Charge percent, 255 unknown.
		{FamilyULXD, "< REP 1 BATT_CHARGE 087 >", func(c *device.ChannelReading) string {
			return eq("percent", c.BatteryPercent, device.Some(87))
		}},
		{FamilyAD, "< REP 1 TX_BATT_CHARGE_PERCENT 255 >", func(c *device.ChannelReading) string {
			return eq("percent", c.BatteryPercent, device.Unknown[int]())
		}},
		// Battery type and transmitter model, UNKN/UNKNOWN unknown.
		{FamilyULXD, "< REP 1 BATT_TYPE LION >", func(c *device.ChannelReading) string {
			return eq("type", c.BatteryType, device.Some("LION"))
		}},
		{FamilyAD, "< REP 1 TX_BATT_TYPE UNKN >", func(c *device.ChannelReading) string {
			return eq("type", c.BatteryType, device.Unknown[string]())
		}},
		{FamilyULXD, "< REP 1 TX_TYPE ULXD2 >", func(c *device.ChannelReading) string {
			return eq("tx", c.TxModel, device.Some("ULXD2"))
		}},
		{FamilyULXD, "< REP 1 TX_TYPE UNKN >", func(c *device.ChannelReading) string {
			return eq("tx", c.TxModel, device.Unknown[string]())
		}},
		{FamilyAD, "< REP 1 TX_MODEL ad2 >", func(c *device.ChannelReading) string {
			return eq("tx", c.TxModel, device.Some("AD2"))
		}},
		{FamilySLXD, "< REP 1 TX_MODEL UNKNOWN >", func(c *device.ChannelReading) string {
			return eq("tx", c.TxModel, device.Unknown[string]())
		}},
		// Offset: ULX-D dB as sent, AD value-12, 255 unknown.
		{FamilyULXD, "< REP 1 TX_OFFSET 021 >", func(c *device.ChannelReading) string {
			return eq("offset", c.TxOffsetDB, device.Some(21))
		}},
		{FamilyAD, "< REP 1 TX_OFFSET 015 >", func(c *device.ChannelReading) string {
			return eq("offset", c.TxOffsetDB, device.Some(3))
		}},
		{FamilyAD, "< REP 1 TX_OFFSET 000 >", func(c *device.ChannelReading) string {
			return eq("offset", c.TxOffsetDB, device.Some(-12))
		}},
		{FamilyULXD, "< REP 1 TX_OFFSET 255 >", func(c *device.ChannelReading) string {
			return eq("offset", c.TxOffsetDB, device.Unknown[int]())
		}},
		// Frequency: 6 digits (ULX-D/QLX-D) or 7 (AD/SLX-D), kHz.
		{FamilyULXD, "< REP 1 FREQUENCY 470125 >", func(c *device.ChannelReading) string {
			return eq("freq", c.FrequencyKHz, device.Some(470125))
		}},
		{FamilyAD, "< REP 1 FREQUENCY 0594075 >", func(c *device.ChannelReading) string {
			return eq("freq", c.FrequencyKHz, device.Some(594075))
		}},
		{FamilySLXD, "< REP 1 FREQUENCY 0000000 >", func(c *device.ChannelReading) string {
			return eq("freq", c.FrequencyKHz, device.Unknown[int]())
		}},
		{FamilyULXD, "< REP 1 AUDIO_MUTE ON >", func(c *device.ChannelReading) string {
			return eq("mute", c.Muted, device.Some(true))
		}},
		{FamilyAD, "< REP 1 AUDIO_MUTE off >", func(c *device.ChannelReading) string {
			return eq("mute", c.Muted, device.Some(false))
		}},
		{FamilyAD, "< REP 1 AUDIO_GAIN 030 >", func(c *device.ChannelReading) string {
			return eq("gain", c.Gain, device.Some(12.0))
		}},
		{FamilyULXD, "< REP 1 AUDIO_GAIN 000 >", func(c *device.ChannelReading) string {
			return eq("gain", c.Gain, device.Some(-18.0))
		}},
		{FamilyAD, "< REP 1 CHAN_QUALITY 004 >", func(c *device.ChannelReading) string {
			return eq("quality", c.Quality, device.Some(4)) + eq("max", c.QualityMax, 5)
		}},
		{FamilyAD, "< REP 1 CHAN_QUALITY 255 >", func(c *device.ChannelReading) string {
			return eq("quality", c.Quality, device.Unknown[int]())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fam.String()+" "+tt.wire, func(t *testing.T) {
			r, changed := decodeOne(t, tt.fam, tt.wire)
			c, ok := r.Channels[1]
			if !changed || !ok {
				t.Fatalf("not applied (changed=%v, channels=%v)", changed, r.Channels)
			}
			if msg := tt.check(c); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestApplyIgnores(t *testing.T) {
	for _, tt := range []struct {
		fam  Family
		wire string
	}{
		{FamilyAD, "< REP 1 SOME_NEW_PARAM 12 >"},
		{FamilyAD, "< REP 0 METER_RATE 01000 >"},
		{FamilyUnknown, "< REP 1 TX_OFFSET 015 >"}, // formula unknown until MODEL
		{FamilySLXD, "< REP 1 TX_OFFSET 015 >"},
		{FamilyAD, "< REP 1 TX_BATT_BARS x >"},
		{FamilyAD, "< REP 1 AUDIO_MUTE TOGGLE >"},
		{FamilyAD, "< REP ERR >"},
		{FamilyAD, "< GET 0 ALL >"},
		{FamilyAD, "< SAMPLE 0 ALL 102 102 086 >"},
	} {
		r, changed := decodeOne(t, tt.fam, tt.wire)
		if changed || !r.Empty() {
			t.Errorf("%s %q changed the reading: %+v", tt.fam, tt.wire, r)
		}
	}
}

func TestApplyDevice(t *testing.T) {
	tests := []struct {
		wire  string
		check func(r *device.Reading) bool
	}{
		{"< REP DEVICE_ID {Rack A                         } >", func(r *device.Reading) bool {
			return r.Name == device.Some("Rack A")
		}},
		{"< REP MODEL {AD4Q-A                          } >", func(r *device.Reading) bool {
			return r.Model == device.Some("AD4Q-A") && r.ChannelCount == device.Some(4)
		}},
		{"< REP MODEL {NEWTHING} >", func(r *device.Reading) bool {
			return r.Model == device.Some("NEWTHING") && !r.ChannelCount.Set
		}},
		{"< REP FW_VER {2.4.12                  } >", func(r *device.Reading) bool {
			return r.Firmware == device.Some("2.4.12")
		}},
		{"< REP RF_BAND {G57} >", func(r *device.Reading) bool { return r.RFBand == device.Some("G57") }},
		{"< REP SERIAL_NUM {ABC123} >", func(r *device.Reading) bool { return r.Serial == device.Some("ABC123") }},
	}
	for _, tt := range tests {
		r, changed := decodeOne(t, FamilyUnknown, tt.wire)
		if !changed || !tt.check(&r) || len(r.Channels) != 0 {
			t.Errorf("%q: %+v", tt.wire, r)
		}
	}
}

func TestApplySample(t *testing.T) {
	tests := []struct {
		wire      string
		rf        []float64
		div       string
		level     device.Opt[float64]
		peak      device.Opt[float64]
		clip      device.Opt[bool]
		quality   device.Opt[int]
		qualityMx int
	}{
		// PROTOCOLS.md's ULX-D example: audio 098 is past the 000-050 scale
		// (micboard py/mic.py doubles it to 0-100), so it is dropped, not
		// shown as +48 dBFS.
		{"< SAMPLE 1 ALL XB 035 098 >", []float64{-93}, "XB", device.Opt[float64]{}, device.Opt[float64]{}, device.Opt[bool]{}, device.Opt[int]{}, 0},
		// ULX-D has no clip bit: peak is derived at -10 dBFS as micboard's
		// PEAK_LEVEL (80 of 2*raw) does.
		{"< SAMPLE 1 ALL AX 102 045 >", []float64{-26}, "AX", device.Some(-5.0), device.Opt[float64]{}, device.Some(true), device.Opt[int]{}, 0},
		{"< SAMPLE 1 ALL AX 102 030 >", []float64{-26}, "AX", device.Some(-20.0), device.Opt[float64]{}, device.Some(false), device.Opt[int]{}, 0},
		// RF past 115 is impossible on ULX-D: dropped.
		{"< SAMPLE 1 ALL AX 200 030 >", nil, "AX", device.Some(-20.0), device.Opt[float64]{}, device.Some(false), device.Opt[int]{}, 0},
		// Shure, Axient Digital Command Strings, SAMPLE (standard channel).
		{"< SAMPLE 1 ALL 005 031 102 102 BB 31 086 31 065 >", []float64{-34, -55}, "BB", device.Some(-18.0),
			device.Some(-18.0), device.Some(false), device.Some(5), 5},
		{"< SAMPLE 1 ALL 255 000 005 033 XX 00 011 00 012 >", []float64{-109, -108}, "XX", device.Some(-87.0),
			device.Some(-115.0), device.Some(false), device.Unknown[int](), 5},
		{"< SAMPLE 1 ALL 005 159 120 102 BB 31 086 31 065 >", []float64{-34, -55}, "BB", device.Some(-18.0),
			device.Some(0.0), device.Some(true), device.Some(5), 5},
		// Shure SLX-D Command Strings SAMPLE example (also in
		// companion-module-shure-wireless docs/SLXDplus-protocol.md): no
		// clip bit, so peak is derived from the RMS level.
		{"< SAMPLE 1 ALL 102 102 086 >", []float64{-34}, "", device.Some(-18.0), device.Some(-18.0), device.Some(false), device.Opt[int]{}, 0},
		{"< SAMPLE 1 ALL 120 115 086 >", []float64{-34}, "", device.Some(-5.0), device.Some(0.0), device.Some(true), device.Opt[int]{}, 0},
		{"< SAMPLE 1 ALL 102 130 086 >", []float64{-34}, "", device.Opt[float64]{}, device.Some(-18.0), device.Opt[bool]{}, device.Opt[int]{}, 0},
		// FD-C: a second RF section for the second frequency; each antenna
		// shows its stronger frequency (sample lines from Shure's Axient
		// Digital Command Strings, SAMPLE, as quoted in RFDeck's notes on
		// them: 14 fields, and 22 with Quadversity).
		{"< SAMPLE 1 ALL 005 031 102 102 BB 31 082 31 060 BB 31 082 31 060 >", []float64{-38, -60}, "BB", device.Some(-18.0),
			device.Some(-18.0), device.Some(false), device.Some(5), 5},
		{"< SAMPLE 1 ALL 005 031 102 102 BBBB 31 084 31 065 31 070 31 070 BBBB 31 084 31 065 31 070 31 070 >", []float64{-36, -55, -50, -50}, "BBBB", device.Some(-18.0),
			device.Some(-18.0), device.Some(false), device.Some(5), 5},
		{"< SAMPLE 1 ALL 004 031 102 102 XB 00 010 31 060 BX 31 090 00 012 >", []float64{-30, -60}, "BB", device.Some(-18.0),
			device.Some(-18.0), device.Some(false), device.Some(4), 5},
	}
	for _, tt := range tests {
		t.Run(tt.wire, func(t *testing.T) {
			r, _ := decodeOne(t, FamilyUnknown, tt.wire)
			c := r.Channels[1]
			if c == nil {
				t.Fatal("no channel 1")
			}
			if !slices.Equal(c.RFLevelDBm, tt.rf) {
				t.Errorf("rf = %v, want %v", c.RFLevelDBm, tt.rf)
			}
			if d, _ := c.Diversity.Get(); d != tt.div {
				t.Errorf("diversity = %q, want %q", d, tt.div)
			}
			if c.AudioLevelDBFS != tt.level {
				t.Errorf("level = %v, want %v", c.AudioLevelDBFS, tt.level)
			}
			if c.AudioPeakDBFS != tt.peak || c.AudioPeak != tt.clip {
				t.Errorf("peak = %v clip = %v, want %v %v", c.AudioPeakDBFS, c.AudioPeak, tt.peak, tt.clip)
			}
			if c.Quality != tt.quality || c.QualityMax != tt.qualityMx {
				t.Errorf("quality = %v/%d, want %v/%d", c.Quality, c.QualityMax, tt.quality, tt.qualityMx)
			}
		})
	}
}

func TestDecoderLearnsFamily(t *testing.T) {
	var d Decoder
	var r device.Reading
	for _, msg := range []string{
		"REP 1 TX_OFFSET 015", // before MODEL: held until the family is known
		"REP MODEL {AD4D                            }",
		"REP 2 TX_OFFSET 015",
		"REP ERR",
		"SAMPLE 1 ALL bogus",
	} {
		_, _ = d.Decode(&r, []byte(msg))
	}
	if d.Family != FamilyAD || d.Errors != 1 || d.Malformed != 1 {
		t.Errorf("decoder = %+v", d)
	}
	// The offset that came first is applied once MODEL says AD (value - 12),
	// not dropped: ULX-D and QLX-D may never say their model at all.
	if c := r.Channels[1]; c == nil || c.TxOffsetDB != device.Some(3) {
		t.Errorf("early offset = %+v", c)
	}
	if r.Channels[2].TxOffsetDB != device.Some(3) {
		t.Errorf("offset = %v", r.Channels[2].TxOffsetDB)
	}
}

func TestFamilyAndChannels(t *testing.T) {
	tests := []struct {
		model    string
		fam      Family
		channels int
	}{
		{"ULXD4", FamilyULXD, 1},
		{"ULXD4D", FamilyULXD, 2},
		{"ULXD4Q", FamilyULXD, 4},
		{"QLXD4", FamilyULXD, 1},
		{"AD4D", FamilyAD, 2},
		{"AD4Q-A", FamilyAD, 4},
		{"ad4q", FamilyAD, 4},
		{"SLXD4", FamilySLXD, 1},
		{"SLXD4D", FamilySLXD, 2},
		// SLX-D+ (companion-module-shure-wireless, src/setup.js and
		// docs/SLXDplus-protocol.md "Model matrix"): the quad has 4 channels.
		{"SLXD4+", FamilySLXDPlus, 1},
		{"SLXD4D+", FamilySLXDPlus, 2},
		{"SLXD4Q+", FamilySLXDPlus, 4},
		{"SLXD4QDAN+", FamilySLXDPlus, 4},
		{"SLX-D4Q+", FamilySLXDPlus, 4},
		{"SLXD4Q+ Dante", FamilySLXDPlus, 4},
		// UHF-R and PSM1000 (micboard py/device_config.py DCID_MODEL).
		{"UR4S", FamilyUHFR, 1},
		{"UR4D", FamilyUHFR, 2},
		{"P10T", FamilyP10T, 2},
		{"ULX-D4Q", FamilyULXD, 4},
		{"XYZ4", FamilyUnknown, 0},
		{"", FamilyUnknown, 0},
	}
	for _, tt := range tests {
		if f := FamilyOf(tt.model); f != tt.fam {
			t.Errorf("FamilyOf(%q) = %v, want %v", tt.model, f, tt.fam)
		}
		if n := ChannelsOf(tt.model); n != tt.channels {
			t.Errorf("ChannelsOf(%q) = %d, want %d", tt.model, n, tt.channels)
		}
	}
}
