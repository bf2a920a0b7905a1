// Package shure speaks Shure's control strings: the TCP `< ... >` command
// strings of ULX-D, QLX-D, Axient Digital (AD4D/AD4Q), SLX-D, SLX-D+ and the
// PSM1000 P10T in-ear transmitter, and the UDP `* ... *` strings of UHF-R
// (UR4S/UR4D). It holds a zero-allocation parser for the messages, encoders
// for the commands Micboard sends (and the replies the simulator sends), the
// table of families and models, and a device.Driver client.
package shure

import (
	"strings"

	"micboard/app/device"
)

// DefaultPort is the control port of every Shure family (TCP for the
// command strings, UDP for UHF-R).
const DefaultPort = 2202

// Family groups models that share parameter names and sample layout.
type Family uint8

// Model families.
const (
	FamilyUnknown  Family = iota
	FamilyULXD            // ULX-D and QLX-D: BATT_*, 6-digit frequency, SAMPLE div rf audio
	FamilyAD              // Axient Digital AD4D/AD4Q: TX_BATT_*, quality, per-antenna samples
	FamilySLXD            // SLX-D: TX_BATT_*, SAMPLE peak rms rssi
	FamilySLXDPlus        // SLX-D+: SLX-D strings, but GET 0 ALL only starts metering
	FamilyUHFR            // UHF-R: UDP, `* ... *`, TX_BAT 1-5/U, METER in 30 ms units
	FamilyP10T            // PSM1000 P10T in-ear transmitter: REPORT verb, no battery
	// FamilyGeneric is a device that answers the command strings but shows
	// none of the families above (an unlisted model, a new product line):
	// it is watched with the parameters every family shares, read as SLX-D
	// reads them, rather than refused.
	FamilyGeneric
)

// ModelInfo is one model of a family.
type ModelInfo struct {
	Model    string // as MODEL reports it, without a regional suffix
	Channels int
	// DeviceType is the registry's device type code when it differs from
	// the family's (QLX-D within the ULX-D family).
	DeviceType string
}

// FamilyInfo is everything Micboard needs to know about a family; the rest
// of the code reads it instead of switching on models.
type FamilyInfo struct {
	Family Family
	Code   string // short code for logs, e.g. "ulxd"
	Name   string // e.g. "ULX-D / QLX-D"
	// DeviceType is the device type code stored with a receiver ("ulxd",
	// "axtd", "slxd", "uhfr", "p10t").
	DeviceType string
	Kind       device.Kind
	Transport  string // "tcp" or "udp"
	Port       int
	// MaxNameLen is the longest channel name SET accepts (devices may
	// report more: SLX-D pads names to 31 but stores 8).
	MaxNameLen int
	// NameWidth is the width a device pads CHAN_NAME to in its REP.
	NameWidth int
	Models    []ModelInfo
}

// families is the table of what the references document per family: Shure's
// command-string documents for each family, the original micboard's
// py/device_config.py (UHF-R, QLX-D, ULX-D, AD, P10T channel counts), and
// companion-module-shure-wireless (src/setup.js model list, docs/SLXDplus-protocol.md).
var families = []FamilyInfo{
	{Family: FamilyULXD, Code: "ulxd", Name: "ULX-D / QLX-D", DeviceType: "ulxd", Kind: device.KindReceiver,
		Transport: "tcp", Port: DefaultPort, MaxNameLen: 8, NameWidth: 8,
		Models: []ModelInfo{{"ULXD4", 1, ""}, {"ULXD4D", 2, ""}, {"ULXD4Q", 4, ""}, {"QLXD4", 1, "qlxd"}}},
	{Family: FamilyAD, Code: "ad", Name: "Axient Digital", DeviceType: "axtd", Kind: device.KindReceiver,
		Transport: "tcp", Port: DefaultPort, MaxNameLen: 31, NameWidth: 31,
		Models: []ModelInfo{{"AD4D", 2, ""}, {"AD4Q", 4, ""}}},
	{Family: FamilySLXD, Code: "slxd", Name: "SLX-D", DeviceType: "slxd", Kind: device.KindReceiver,
		Transport: "tcp", Port: DefaultPort, MaxNameLen: 8, NameWidth: 31,
		Models: []ModelInfo{{"SLXD4", 1, ""}, {"SLXD4D", 2, ""}}},
	{Family: FamilySLXDPlus, Code: "slxd+", Name: "SLX-D+", DeviceType: "slxd", Kind: device.KindReceiver,
		Transport: "tcp", Port: DefaultPort, MaxNameLen: 8, NameWidth: 31,
		Models: []ModelInfo{{"SLXD4+", 1, ""}, {"SLXD4D+", 2, ""}, {"SLXD4Q+", 4, ""}, {"SLXD4QDAN+", 4, ""}}},
	{Family: FamilyUHFR, Code: "uhfr", Name: "UHF-R", DeviceType: "uhfr", Kind: device.KindReceiver,
		Transport: "udp", Port: DefaultPort, MaxNameLen: 12, NameWidth: 12,
		Models: []ModelInfo{{"UR4S", 1, ""}, {"UR4D", 2, ""}}},
	{Family: FamilyP10T, Code: "p10t", Name: "PSM1000 P10T", DeviceType: "p10t", Kind: device.KindIEMTransmitter,
		Transport: "tcp", Port: DefaultPort, MaxNameLen: 8, NameWidth: 8,
		Models: []ModelInfo{{"P10T", 2, ""}}},
	// No models: a device is never put here by its name, only when it
	// talked and matched none of the families above. SLX-D is the closest
	// documented family to what every family shares (CHAN_NAME padded to
	// 31, TX_BATT_BARS and TX_BATT_MINS, a 7-digit FREQUENCY, AUDIO_GAIN,
	// no TX_OFFSET formula), and its name limit of 8 is the safe one.
	{Family: FamilyGeneric, Code: "generic", Name: "Shure (unlisted model)", DeviceType: GenericDeviceType, Kind: device.KindReceiver,
		Transport: "tcp", Port: DefaultPort, MaxNameLen: 8, NameWidth: 31},
}

// GenericDeviceType is the device type of a Shure device that matches no
// family (FamilyGeneric).
const GenericDeviceType = "shure-generic"

// Families lists every family Micboard drives, in table order.
func Families() []FamilyInfo { return append([]FamilyInfo(nil), families...) }

// Info returns the table entry of f; FamilyUnknown gives a zero FamilyInfo
// with the safe name limit of 8.
func (f Family) Info() FamilyInfo {
	for _, fi := range families {
		if fi.Family == f {
			return fi
		}
	}
	return FamilyInfo{Code: "unknown", MaxNameLen: 8, NameWidth: 31, Kind: device.KindReceiver}
}

func (f Family) String() string { return f.Info().Code }

// normModel upper-cases a model and drops spaces, so "slxd4q+ " and
// "SLXD4Q+" match.
func normModel(model string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(model), " ", ""))
}

// lookupModel finds a model in the table, accepting the spellings devices and
// people use: a regional suffix ("AD4Q-A"), a hyphen in the family prefix
// ("ULX-D4Q", "SLX-D4D+"), a "Dante" spelled out ("SLXD4Q+ DANTE").
func lookupModel(model string) (FamilyInfo, ModelInfo, bool) {
	m := normModel(model)
	cands := []string{m}
	if i := strings.LastIndexByte(m, '-'); i > 0 && len(m)-i <= 4 {
		cands = append(cands, m[:i]) // regional suffix
	}
	for _, c := range append([]string(nil), cands...) {
		cands = append(cands, strings.ReplaceAll(c, "-", ""))
	}
	for _, c := range append([]string(nil), cands...) {
		if strings.Contains(c, "DANTE") {
			d := strings.ReplaceAll(c, "DANTE", "DAN")
			if strings.HasSuffix(d, "+DAN") { // "SLXD4Q+DANTE" → "SLXD4QDAN+"
				d = strings.TrimSuffix(d, "+DAN") + "DAN+"
			}
			cands = append(cands, d)
		}
	}
	for _, c := range cands {
		for _, fi := range families {
			for _, mi := range fi.Models {
				if c == mi.Model {
					return fi, mi, true
				}
			}
		}
	}
	return FamilyInfo{}, ModelInfo{}, false
}

// FamilyOf maps a MODEL string (e.g. "ULXD4Q", "QLXD4", "AD4Q-A", "SLXD4Q+",
// "UR4D", "P10T") to its family. A model the table does not list still
// gets its family from its prefix; otherwise FamilyUnknown.
func FamilyOf(model string) Family {
	if fi, _, ok := lookupModel(model); ok {
		return fi.Family
	}
	m := strings.ReplaceAll(normModel(model), "-", "")
	switch {
	case strings.HasPrefix(m, "ULXD"), strings.HasPrefix(m, "QLXD"):
		return FamilyULXD
	case strings.HasPrefix(m, "SLXD") && strings.Contains(m, "+"):
		return FamilySLXDPlus
	case strings.HasPrefix(m, "SLXD"):
		return FamilySLXD
	case strings.HasPrefix(m, "AD4"), strings.HasPrefix(m, "ADX"):
		return FamilyAD
	case strings.HasPrefix(m, "UR4"), strings.HasPrefix(m, "UHFR"):
		return FamilyUHFR
	case strings.HasPrefix(m, "P10T"), strings.HasPrefix(m, "PSM1000"):
		return FamilyP10T
	}
	return FamilyUnknown
}

// ChannelsOf returns the channel count of a model from the table. 0 means a
// model the table does not list: the client then counts the channels that
// answer.
func ChannelsOf(model string) int {
	if _, mi, ok := lookupModel(model); ok {
		return mi.Channels
	}
	return 0
}

// DeviceTypeOf returns the registry's device type code for a model of family
// f ("qlxd" for QLX-D within the ULX-D family).
func DeviceTypeOf(f Family, model string) string {
	if _, mi, ok := lookupModel(model); ok && mi.DeviceType != "" {
		return mi.DeviceType
	}
	if f == FamilyULXD && strings.HasPrefix(normModel(model), "QLX") {
		return "qlxd"
	}
	return f.Info().DeviceType
}

// MaxNameLen is the longest channel name SET accepts for family f: 8 on
// ULX-D/QLX-D, SLX-D, SLX-D+ and P10T, 31 on AD, 12 on UHF-R. An unknown
// family gets the safe 8.
func MaxNameLen(f Family) int { return f.Info().MaxNameLen }

// Widths of the brace-padded strings a device sends.
const (
	WidthName     = 31 // CHAN_NAME on AD/SLX-D, and DEVICE_ID on AD
	WidthFirmware = 24 // FW_VER
	WidthModel    = 32 // MODEL
)
