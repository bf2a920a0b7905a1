package sennheiser

import (
	"testing"

	"micboard/app/device"
)

// FuzzDecode: any datagram decodes or fails cleanly, Apply never panics, and
// the result stays proportional to the input (no amplification).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"rx1":{"name":"Vox"}}`,
		`{"osc":{"xid":1234567},"device":{"name":"Stage"}}`,
		`{"osc":{"error":[{"rx1":{"name":[404]}}]}}`,
		`{"osc":{"state":{"subscribe":[{"#":{"min":0,"max":0,"lifetime":60,"count":1000},"m":{"rx1":{"rssi":null}}}]}}}`,
		`{"m":{"rx1":{"rssi":-60,"rsqi":90,"af":-20.5,"divi":1}},"mates":{"tx1":{"battery":{"gauge":70}}}}`,
		// Digital 6000, as Sennheiser's SSC guide for it (TI 1109) prints
		// them: §8.100 /mm, §8.27 battery, §8.46 warnings, §8.103 identity.
		`{"mm":[[0,0,0,0,0,0,0,0,0],[83,0,53,0,1,1,128,165,0]]}`,
		`{"rx1":{"skx":{"battery":["70%","5:12"]}}}`,
		`{"rx1":{"skx":{"battery":["low","-:--"]}}}`,
		`{"rx1":{"active_warnings":["RFPeak","AFPeak"]}}`,
		`{"device":{"identity":{"version":"1.1.4.74","product":"EM6000-Dante"}}}`,
		`{"osc":{"state":{"subscribe":[{"#":{"min":0, "max":0,"lifetime":10,"count":1000},"sys":{"wsm_master_cnt":null}}]}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			return
		}
		if len(m.Leaves)+len(m.Errors)+len(m.Subscriptions) > len(data) {
			t.Fatalf("%d bytes gave %d leaves, %d errors", len(data), len(m.Leaves), len(m.Errors))
		}
		var r device.Reading
		Apply(&r, &m)
		// One leaf names one channel, except Digital 6000's /mm table,
		// which holds a row per channel and is read for at most 8.
		if len(r.Channels) > len(m.Leaves)+len(m.Errors)+8 {
			t.Fatalf("%d channels from %d leaves", len(r.Channels), len(m.Leaves))
		}
		_ = probeResult(&m)
	})
}

// FuzzDecodeG4: any datagram splits into lines without panicking, ApplyG4
// touches at most the one channel a G4 has, and nothing is amplified.
func FuzzDecodeG4(f *testing.F) {
	for _, s := range []string{
		"Name DEMO 002\rFrequency 684000\r",
		"rf1 12 40 1\rrf2 10 30 0\raf 55 40 0\rrf 57 1 0\r",
		"Bat ?\rMsg Low_Batt\rConfig 3\r",
		"Msg AF_Peak\n\nStates 1 2\n",
		"Push 60 100 3\r",
		// lclbo/RFjs (rfjs_server.js) reads these from an EM 300-500 G4.
		"Name DEMO 002\rFrequency 684000\rSquelch 15\rAfOut 18\rrf1 12 40 1\rrf2 10 30 0\raf 55 40 0\rrf 57 1 0\rBat 70\rMsg OK\rConfig 3\r",
		"Msg RF_Mute\r\naf 0 0 5\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, dropped := DecodeG4(data)
		if len(lines)+dropped > len(data) {
			t.Fatalf("%d bytes gave %d lines", len(data), len(lines)+dropped)
		}
		var r device.Reading
		ApplyG4(&r, lines)
		if len(r.Channels) > 1 {
			t.Fatalf("%d channels", len(r.Channels))
		}
		if c := r.Channels[1]; c != nil && len(c.Name.V) > maxG4Line {
			t.Fatalf("name of %d bytes", len(c.Name.V))
		}
	})
}
