package sim

import "math"

// Families added after the first four. Their values start far from the
// original enum so adding a family elsewhere cannot collide with them.
const (
	famSLXPlus family = iota + 100 // SLX-D+: GET 0 ALL only starts metering
	famUHFR                        // UHF-R: UDP, `* ... *`
	famP10T                        // PSM1000 P10T in-ear transmitter: REPORT verb
	// famUnlisted is a Shure receiver of no family Micboard knows: it
	// answers the command strings with only the parameters every family
	// shares (names, TX_BATT_BARS/MINS, frequency, gain, mute) and meters
	// nothing (SET METER_RATE is REP ERR), so nothing it says gives a
	// family away. It plays what a new product line would look like.
	famUnlisted
)

// Each model plays its family as the references document it, not as
// Micboard's driver reads it:
//   - SLX-D+: companion-module-shure-wireless docs/SLXDplus-protocol.md
//     (verified there against firmware 2.0.38.9);
//   - UHF-R: the original micboard (py/device_config.py, py/mic.py,
//     py/networkdevice.py) and WirelessMicSuiteServer's UHF-R emulator;
//   - PSM1000: companion-module-shure-psm1000 (src/index.js,
//     src/internalAPI.js) and micboard py/device_config.py, py/iem.py.
func init() {
	for _, m := range []modelSpec{
		{code: "slxd4qplus", vendor: VendorShure, model: "SLXD4Q+", wireModel: "SLXD4Q+", fam: famSLXPlus, channels: 4,
			txModels: []string{"SLXD1+", "SLXD2+"}, band: "G55", fw: "2.0.38.9", freqLo: 470000, freqHi: 514000, nameMax: 8},
		{code: "slxd4dplus", vendor: VendorShure, model: "SLXD4D+", wireModel: "SLXD4D+", fam: famSLXPlus, channels: 2,
			txModels: []string{"SLXD1+", "SLXD2+"}, band: "G55", fw: "2.0.38.9", freqLo: 470000, freqHi: 514000, nameMax: 8},
		{code: "ur4d", vendor: VendorShure, model: "UR4D", wireModel: "UR4D", fam: famUHFR, channels: 2,
			txModels: []string{"UR1", "UR2"}, band: "H4", fw: "", freqLo: 518000, freqHi: 578000, nameMax: 12},
		{code: "ur4s", vendor: VendorShure, model: "UR4S", wireModel: "UR4S", fam: famUHFR, channels: 1,
			txModels: []string{"UR1", "UR2"}, band: "H4", fw: "", freqLo: 518000, freqHi: 578000, nameMax: 12},
		{code: "p10t", vendor: VendorShure, model: "P10T", wireModel: "P10T", fam: famP10T, channels: 2,
			txModels: []string{"P10T"}, band: "G10", fw: "", freqLo: 470000, freqHi: 542000, nameMax: 8},
		{code: "unlisted2", vendor: VendorShure, model: "SRX4D", wireModel: "SRX4D", fam: famUnlisted, channels: 2,
			txModels: []string{"STX1", "STX2"}, band: "X1", fw: "0.9.1.0", freqLo: 470000, freqHi: 608000, nameMax: 8},
	} {
		modelSpecs[m.code] = m
	}
	// SLX-D stores 8 characters of a name though it reports 31.
	if m, ok := modelSpecs["slxd4d"]; ok {
		m.nameMax = 8
		modelSpecs["slxd4d"] = m
	}
}

// shureDatagram reports whether a family's simulator listens on UDP.
func shureDatagram(f family) bool { return f == famUHFR }

// p10tLevel renders a P10T audio input level: linear, 24-bit full scale
// (micboard py/iem.py maps values up to 2,502,970 onto its meter).
func p10tLevel(c *channel) int {
	return int(math.Round(math.Pow(10, c.audio/20) * (1 << 23)))
}

// deviceIDWidth is how many characters of its own name a model stores:
// 8 on ULX-D, QLX-D, SLX-D and SLX-D+, 31 elsewhere.
func deviceIDWidth(code string) int {
	m, err := lookupModel(code)
	if err != nil {
		return 31
	}
	switch m.fam {
	case famULX, famSLX, famSLXPlus:
		return 8
	}
	return 31
}
