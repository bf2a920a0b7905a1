package shure

import (
	"testing"

	"micboard/app/device"
)

// decodeStream runs wire through a fresh Decoder (TCP framing, or UHF-R's
// stars when fam is FamilyUHFR) and returns the merged reading.
func decodeStream(fam Family, wire string) (device.Reading, *Decoder) {
	dec := &Decoder{Family: fam}
	var r device.Reading
	if fam == FamilyUHFR {
		SplitStars([]byte(wire), func(m []byte) { _, _ = dec.Decode(&r, m) })
		return r, dec
	}
	var sp Splitter
	sp.Feed([]byte(wire), func(m []byte) { _, _ = dec.Decode(&r, m) })
	return r, dec
}

// Sample lines of the SLX-D+ command strings, from
// companion-module-shure-wireless docs/SLXDplus-protocol.md (Shure's "SLXD+
// Command Strings" v1.0, checked there against firmware 2.0.38.9).
func TestDecodeSLXDPlusReferenceLines(t *testing.T) {
	// "Empty-channel behaviour": what GET 3 ALL answers without a transmitter.
	r, dec := decodeStream(FamilyUnknown,
		"< REP MODEL {SLXD4Q+                         } >"+
			"< REP 3 TX_MODEL UNKNOWN >< REP 3 TX_BATT_BARS 255 >< REP 3 TX_BATT_MINS 65535 >"+
			"< REP 3 SLOT_TX_MODEL 1 {          } >< REP 3 LINK_STATUS 1 offline >"+
			"< REP 3 SLOT_TX_MODEL 2 {          } >< REP 3 LINK_STATUS 2 offline >")
	if dec.Family != FamilySLXDPlus || r.ChannelCount != device.Some(4) || r.Family != device.Some("slxd") {
		t.Fatalf("family %v channels %v type %v", dec.Family, r.ChannelCount, r.Family)
	}
	c := r.Channels[3]
	if c.TxModel != device.Unknown[string]() || c.BatteryBars != device.Unknown[int]() ||
		c.BatteryRuntime != device.RuntimeUnknown {
		t.Errorf("empty channel = %+v", c)
	}
	// Device and channel lines of the same document.
	r, _ = decodeStream(FamilySLXDPlus,
		"< REP 1 TX_MODEL SLXD1+ >< REP 1 TX_BATT_BARS 004 >< REP 1 TX_BATT_MINS 00125 >"+
			"< REP 1 AUDIO_GAIN 030 >< REP 1 FREQUENCY 0602125 >< SAMPLE 1 ALL 102 102 086 >"+
			"< REP 1 CHAN_NAME {Lead Vox                       } >< REP FW_VER {2.0.15.2                } >")
	c = r.Channels[1]
	if c.TxModel != device.Some("SLXD1+") || c.BatteryBars != device.Some(4) || c.BatteryMinutes != device.Some(125) ||
		c.Gain != device.Some(12.0) || c.FrequencyKHz != device.Some(602125) || c.Name != device.Some("Lead Vox") ||
		c.AudioLevelDBFS != device.Some(-18.0) || r.Firmware != device.Some("2.0.15.2") {
		t.Errorf("channel 1 = %+v, firmware %v", c, r.Firmware)
	}
}

// UHF-R lines as the original micboard reads them (py/device_config.py:
// `* GET {} TX_BAT *`, `* METER {} ALL STOP *`; py/mic.py parse_sample
// uhfr: antenna, rf, ..., battery, audio; set_battery: 'U' is unknown;
// UHFR_AUDIO_TABLE 0..255, a peak at 255) and as WirelessMicSuiteServer's
// UHF-R emulator answers (`* REPORT n TX_BAT 4 *`, 12-character names).
func TestDecodeUHFRReferenceLines(t *testing.T) {
	r, _ := decodeStream(FamilyUHFR,
		"* REPORT 1 TX_BAT 4 ** REPORT 2 TX_BAT U ** REPORT 1 CHAN_NAME Chan1_______ *"+
			"* REPORT 1 FREQUENCY 600000 ** REPORT 1 TX_TYPE UR2 *")
	c1, c2 := r.Channels[1], r.Channels[2]
	if c1.BatteryBars != device.Some(4) || c2.BatteryBars != device.Unknown[int]() ||
		c1.Name != device.Some("Chan1_______") || c1.FrequencyKHz != device.Some(600000) || c1.TxModel != device.Some("UR2") {
		t.Errorf("reports: %+v / %+v", c1, c2)
	}
	r, dec := decodeStream(FamilyUHFR, "* SAMPLE 1 ALL AB 070 080 4 031 ** SAMPLE 2 ALL XX 100 100 U 255 *")
	c1, c2 = r.Channels[1], r.Channels[2]
	if len(c1.RFLevelDBm) != 2 || c1.RFLevelDBm[0] != -70 || c1.RFLevelDBm[1] != -80 ||
		c1.Diversity != device.Some("AB") || c1.BatteryBars != device.Some(4) ||
		c1.AudioLevelDBFS != device.Some(-18.75) || c1.AudioPeak != device.Some(false) {
		t.Errorf("sample 1 = %+v", c1)
	}
	if c2.BatteryBars != device.Unknown[int]() || c2.AudioPeak != device.Some(true) || dec.Family != FamilyUHFR {
		t.Errorf("sample 2 = %+v (family %v)", c2, dec.Family)
	}
	if got := UHFRMeter(1, 0); got != "* METER 1 ALL STOP *" {
		t.Errorf("stop = %q", got)
	}
	// METER is in units of 30 ms: one second is 033.
	if got := UHFRMeter(2, 1000*UHFRMeterUnit/30); got != "* METER 2 ALL 033 *" {
		t.Errorf("meter = %q", got)
	}
	if got, _ := UHFRSetName(1, "HH01 Ayo"); got != "* SET 1 CHAN_NAME HH01_Ayo *" {
		t.Errorf("set name = %q", got)
	}
}

// PSM1000 lines: companion-module-shure-psm1000 (src/index.js sends
// `< GET DEVICE_NAME >` and reads `REPORT`; src/internalAPI.js: RF_TX_LVL
// 10/50/100 mW, RF_MUTE 1/0) and micboard py/iem.py (AUDIO_IN_LVL_L/R up to
// 2,502,970 at the top of its meter).
func TestDecodeP10TReferenceLines(t *testing.T) {
	r, dec := decodeStream(FamilyUnknown,
		"< REPORT DEVICE_NAME {IEM Rack} >< REPORT 1 CHAN_NAME {IEM A} >< REPORT 1 FREQUENCY 518250 >"+
			"< REPORT 1 RF_TX_LVL 100 >< REPORT 1 RF_MUTE 1 >< REPORT 2 RF_MUTE 0 >"+
			"< REPORT 1 AUDIO_IN_LVL_L 2502970 >< REPORT 1 AUDIO_IN_LVL_R 0010272 >")
	if dec.Family != FamilyP10T || r.Kind != device.Some(device.KindIEMTransmitter) || r.Name != device.Some("IEM Rack") {
		t.Fatalf("family %v kind %v name %v", dec.Family, r.Kind, r.Name)
	}
	c := r.Channels[1]
	if c.Name != device.Some("IEM A") || c.FrequencyKHz != device.Some(518250) || c.RFPowerMW != device.Some(100) ||
		c.RFMuted != device.Some(true) || r.Channels[2].RFMuted != device.Some(false) {
		t.Errorf("channel 1 = %+v", c)
	}
	// micboard's top meter step sits near -10.5 dBFS, its first near -58.
	if l, _ := c.AudioLevelDBFS.Get(); l > -10 || l < -11 {
		t.Errorf("left = %v dBFS", l)
	}
	if rr, _ := c.AudioLevelRightDBFS.Get(); rr > -57 || rr < -59 {
		t.Errorf("right = %v dBFS", rr)
	}
	if c.BatteryBars.Set {
		t.Error("an in-ear transmitter has no battery")
	}
	if m, ok := dec.InferModel(); !ok || m != "P10T" {
		t.Errorf("inferred %q", m)
	}
}
