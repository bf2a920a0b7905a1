package sennheiser

import (
	"slices"
	"testing"

	"micboard/app/device"
)

// Product strings in the spellings the references use map to their family
// and channel count; an unlisted one keeps a family when its prefix says so.
func TestLookupProductSpellings(t *testing.T) {
	tests := []struct {
		product string
		fam     Family
		ch      int
		known   bool
	}{
		// companion-module-sennheiser-ewdx api_docs.json, /api/device/identity
		// "product" enum (the mDNS product type).
		{"EWDX2CHS", FamilyEWDX, 2, true},
		{"EWDX2CHDS", FamilyEWDX, 2, true},
		{"EWDX4CHDS", FamilyEWDX, 4, true},
		// The same receivers as people and front panels write them, with
		// and without the family prefix (companion-module-sennheiser-ewdx
		// src/ewdx.ts DeviceModel EM2, EM2_DANTE, EM4).
		{"EW-DX EM 2", FamilyEWDX, 2, true},
		{"EW-DX EM 4 DANTE", FamilyEWDX, 4, true},
		{"ew-dx em4 dante", FamilyEWDX, 4, true},
		{"EM 2", FamilyEWDX, 2, true},
		{"EM 2 Dante", FamilyEWDX, 2, true},
		{"EM 4 Dante", FamilyEWDX, 4, true},
		// SSC Developer's guide for Digital 6000 (TI 1109) §8.103: "EM6000"
		// or "EM6000-Dante"; the Companion module's id "em6000".
		{"EM6000", FamilyEM6000, 2, true},
		{"EM6000-Dante", FamilyEM6000, 2, true},
		{"EM 6000", FamilyEM6000, 2, true},
		{"EM 6000 DANTE", FamilyEM6000, 2, true},
		{"em6000", FamilyEM6000, 2, true},
		{"EM 300-500 G4", FamilyEWG4, 1, true},
		// Unlisted, but the family is plain: counted by probing.
		{"EW-DX EM 8 (future)", FamilyEWDX, 0, false},
		{"SpeechLine", FamilyUnknown, 0, false},
		{"", FamilyUnknown, 0, false},
	}
	for _, tt := range tests {
		fam, p, known := LookupProduct(tt.product)
		if fam != tt.fam || p.Channels != tt.ch || known != tt.known {
			t.Errorf("LookupProduct(%q) = %v, %d, %v; want %v, %d, %v", tt.product, fam, p.Channels, known, tt.fam, tt.ch, tt.known)
		}
	}
}

// Digital 6000 values exactly as TI 1109 prints them.
func TestDecodeEM6000ReferenceMessages(t *testing.T) {
	// §8.100 /mm example: channel 1 without link, channel 2 metered.
	r, changed := apply(t, `{"mm":[[0,0,0,0,0,0,0,0,0],[83,0,53,0,1,1,128,165,0]]}`)
	if !changed || r.Family != device.Some("em6000") {
		t.Fatalf("mm: changed %v family %v", changed, r.Family)
	}
	c2 := r.Channels[2]
	if !slices.Equal(c2.RFLevelDBm, []float64{-86, -101}) || c2.Diversity != device.Some("AB") ||
		c2.Quality != device.Some(128) || c2.QualityMax != 255 || c2.AudioLevelDBFS != device.Some(-45.0) ||
		c2.AudioPeak != device.Some(false) || c2.RFPeak != device.Some(false) {
		t.Errorf("mm channel 2 = %+v", c2)
	}
	if c1 := r.Channels[1]; c1.Diversity != device.Some("XX") || c1.Quality != device.Some(0) {
		t.Errorf("mm channel 1 = %+v", c1)
	}
	// §8.27 /rx1/skx/battery: ["70%","5:12"], ["low","-:--"], [] (no transmitter).
	r, _ = apply(t, `{"rx1":{"skx":{"battery":["70%","5:12"]}}}`)
	if c := r.Channels[1]; c.BatteryPercent != device.Some(70) || c.BatteryMinutes != device.Some(312) {
		t.Errorf("battery 70%% = %+v", c)
	}
	r, _ = apply(t, `{"rx1":{"skx":{"battery":["low","-:--"]}}}`)
	if c := r.Channels[1]; c.BatteryBars != device.Some(1) || c.BatteryMinutes != device.Unknown[int]() {
		t.Errorf("battery low = %+v", c)
	}
	r, _ = apply(t, `{"rx1":{"skx":{"battery":[]}}}`)
	if c := r.Channels[1]; c.BatteryPercent != device.Unknown[int]() || c.TxModel != device.Unknown[string]() {
		t.Errorf("battery [] = %+v", c)
	}
	// §8.46 /rx1/active_warnings example.
	r, _ = apply(t, `{"rx1":{"active_warnings":["RFPeak","AFPeak"]}}`)
	if c := r.Channels[1]; c.AudioPeak != device.Some(true) || c.RFPeak != device.Some(true) || r.Family != device.Some("em6000") {
		t.Errorf("active warnings = %+v", c)
	}
	// §8.101 and §8.103 (whose example prints the product under "vendor";
	// the product string itself is "EM6000-Dante").
	r, _ = apply(t, `{"device":{"identity":{"version":"1.1.4.74","product":"EM6000-Dante"}}}`)
	if r.Firmware != device.Some("1.1.4.74") || r.Model != device.Some("EM6000-Dante") || r.ChannelCount != device.Some(2) ||
		r.Family != device.Some("em6000") {
		t.Errorf("identity = %+v", r)
	}
}

// Subscription messages as the guides print them.
func TestDecodeSubscriptionReferenceMessages(t *testing.T) {
	// TI 1109 §8.123: the device echoes the request with defaults filled in.
	m, err := Decode([]byte(`{"osc":{"state":{"subscribe":[{"#":{"min":0, "max":0,"lifetime":10,"count":1000},"sys":{"wsm_master_cnt":null}}]}}}`))
	if err != nil || len(m.Subscriptions) != 1 || m.Subscriptions[0] != (Subscription{Lifetime: 10, Count: 1000}) {
		t.Errorf("echo = %+v, %v", m.Subscriptions, err)
	}
	// TI 1109 §8.123: the end of a subscription carries a description.
	m, _ = Decode([]byte(`{"osc":{"error":[{"sys":{"wsm_master_cnt":[310,{"desc":"subscription terminates"}]}}]}}`))
	if code, ok := m.ErrorCode("/sys/wsm_master_cnt"); !ok || code != CodeSubscriptionEnded {
		t.Errorf("310 = %+v", m.Errors)
	}
	// TI 1093 §5.1.9.5: parameters partially adapted by the server, and the
	// client's cancel echoed back.
	m, _ = Decode([]byte(`{ "osc": { "state": { "subscribe": [ { "#": { "min": 100, "max": 50, "timeout": 600 }, "out1": { "xlr2": { "level": null }} } ] }}}`))
	if len(m.Subscriptions) != 1 || m.Subscriptions[0].Lifetime != 600 || m.Subscriptions[0].Min != 100 {
		t.Errorf("adapted = %+v", m.Subscriptions)
	}
	m, _ = Decode([]byte(`{ "osc": { "state": { "subscribe": [ { "#": { "cancel": true }, "out1": { "xlr2": { "level": null }} } ] }}}`))
	if !m.Cancelled || len(m.Subscriptions) != 0 || !slices.Equal(m.CancelPaths, []string{"/out1/xlr2/level"}) {
		t.Errorf("cancel = %+v", m)
	}
}

// EW-DX warnings: every value of the enums in companion-module-sennheiser-ewdx
// api_docs.json (/api/channel/{id}/warnings: Aes256Error, LowSignal,
// NoLink, RfPeak, AfPeak; /api/transmitters/{id}/warnings: LowBattery,
// AfPeak), which SSC v1 reports at /rx{n}/warnings and /mates/tx{n}/warnings.
func TestDecodeEWDXWarnings(t *testing.T) {
	r, _ := apply(t, `{"rx1":{"warnings":["Aes256Error","LowSignal","NoLink","RfPeak","AfPeak"]}}`)
	c := r.Channels[1]
	if c.AudioPeak != device.Some(true) || c.RFPeak != device.Some(true) || c.LowSignal != device.Some(true) ||
		c.Quality != device.Some(0) || !slices.Equal(c.Warnings.V, []string{"Aes256Error", "LowSignal", "NoLink", "RfPeak", "AfPeak"}) {
		t.Errorf("all rx warnings = %+v", c)
	}
	r, _ = apply(t, `{"rx2":{"warnings":["LowSignal"]}}`)
	if c := r.Channels[2]; c.LowSignal != device.Some(true) || c.AudioPeak != device.Some(false) || c.Quality.Set {
		t.Errorf("low signal = %+v", c)
	}
	r, _ = apply(t, `{"rx1":{"warnings":[]}}`)
	if c := r.Channels[1]; c.LowSignal != device.Some(false) || c.RFPeak != device.Some(false) || len(c.Warnings.V) != 0 || !c.Warnings.Set {
		t.Errorf("cleared = %+v", c)
	}
	r, _ = apply(t, `{"mates":{"tx1":{"warnings":["LowBattery","AfPeak"]}}}`)
	if c := r.Channels[1]; c.AudioPeak != device.Some(true) || !slices.Equal(c.TxWarnings.V, []string{"LowBattery", "AfPeak"}) {
		t.Errorf("tx warnings = %+v", c)
	}
	// SSC Developer's guide for ew D1 (TI 1093) §8.59 spells it "Low Bat".
	r, _ = apply(t, `{"mates":{"tx1":{"warnings":["Low Bat"]}}}`)
	if c := r.Channels[1]; !slices.Equal(c.TxWarnings.V, []string{"Low Bat"}) || c.AudioPeak.Set {
		t.Errorf("ew D1 tx warning = %+v", c)
	}
}

// ew G4 lines as lclbo/RFjs (rfjs_server.js updateReceiver and its debug
// simulation) and companion-module-sennheiser-evolutionwireless (src/api.ts
// processData) read them.
func TestDecodeG4ReferenceLines(t *testing.T) {
	lines, dropped := DecodeG4([]byte("Name DEMO 002\rFrequency 684000\rSquelch 15\rAfOut 18\r" +
		"rf1 12 40 1\rrf2 10 30 0\raf 55 40 0\rrf 57 1 0\rBat 70\rMsg OK\rConfig 3\r"))
	if dropped != 0 {
		t.Fatalf("dropped %d", dropped)
	}
	var r device.Reading
	changed, cfg, hasCfg := ApplyG4(&r, lines)
	c := r.Channels[1]
	if !changed || !hasCfg || cfg != 3 || r.Name != device.Some("DEMO 002") || c.Name != device.Some("DEMO 002") ||
		c.FrequencyKHz != device.Some(684000) || c.Quality != device.Some(57) || c.Diversity != device.Some("AX") ||
		c.Muted != device.Some(false) || c.BatteryPercent != device.Some(70) || c.AudioPeak != device.Some(false) ||
		r.Family != device.Some("ewg4") {
		t.Errorf("G4 lines = %+v / %+v", r, c)
	}
	// RFjs: "Bat ?" is an unknown battery, "Msg Low_Batt" a warning; the
	// Companion module looks for "AF_Peak" in Msg; "RF_Mute" is a closed
	// squelch (RFjs shows the receiver inactive).
	lines, _ = DecodeG4([]byte("Bat ?\nMsg AF_Peak\n"))
	r = device.Reading{}
	ApplyG4(&r, lines)
	if c := r.Channels[1]; c.BatteryPercent != device.Unknown[int]() || c.AudioPeak != device.Some(true) {
		t.Errorf("peak = %+v", c)
	}
	lines, _ = DecodeG4([]byte("Msg RF_Mute\r\naf 0 0 5\r\n"))
	r = device.Reading{}
	ApplyG4(&r, lines)
	if c := r.Channels[1]; c.Quality != device.Some(0) || c.BatteryPercent != device.Unknown[int]() ||
		c.Muted != device.Some(true) || !slices.Equal(c.Warnings.V, []string{"RF_Mute"}) {
		t.Errorf("rf mute = %+v", c)
	}
	if got := string(EncodeG4Push(60, 100, 3)); got != "Push 60 100 3\r" {
		t.Errorf("push = %q", got)
	}
	// Garbage lines are dropped and counted, never fatal.
	lines, dropped = DecodeG4([]byte("Name ok\r\x00\x01junk\rFrequency abc\r"))
	r = device.Reading{}
	ApplyG4(&r, lines)
	if dropped != 1 || r.Name != device.Some("ok") || r.Channels[1].FrequencyKHz.Set {
		t.Errorf("junk: dropped %d reading %+v", dropped, r)
	}
}
