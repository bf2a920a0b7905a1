package sennheiser

import (
	"strings"

	"micboard/app/device"
)

// Family groups the Sennheiser receivers that share a protocol dialect.
type Family uint8

// Families Micboard drives.
const (
	FamilyUnknown Family = iota
	FamilyEWDX           // EW-DX EM 2 / EM 4 (Dante): SSC v1 JSON over UDP 45, or SSCv2 HTTPS from firmware 4
	FamilyEM6000         // Digital 6000 EM 6000 (Dante): SSC v1, its own paths (/rx1/carrier, /mm)
	FamilyEWG4           // evolution wireless G4 EM 300-500: text lines over UDP 53212 with Push
)

// Transports a family is spoken over.
const (
	TransportSSC   = "ssc"   // SSC v1: one JSON object per UDP datagram
	TransportSSCv2 = "sscv2" // SSCv2: HTTPS REST plus server-sent events
	TransportMCP   = "mcp"   // the ew G3/G4 media control protocol: text lines over UDP
)

// Product is one product string a device may answer, normalised (upper
// case, no spaces, hyphens or underscores) and what it means.
type Product struct {
	Key      string // normalised spelling
	Model    string // the name Micboard shows, e.g. "EW-DX EM 4 Dante"
	Channels int
}

// FamilyInfo is everything Micboard needs to know about a family; the rest
// of the code reads it instead of switching on product names.
type FamilyInfo struct {
	Family     Family
	Code       string // short code for logs
	Name       string
	DeviceType string // the registry's device type code ("ewdx", "em6000", "ewg4")
	Transport  string
	Port       int
	// Channels is what an unlisted product of the family is assumed to have
	// until the device's own tree says more.
	Channels   int
	MaxNameLen int
	Products   []Product
}

// families is the table of what the references document per family:
//   - EW-DX: companion-module-sennheiser-ewdx (src/ewdx.ts DeviceModel
//     EM2, EM2_DANTE, EM4; api_docs.json /api/device/identity product enum
//     "EWDX2CHS", "EWDX2CHDS", "EWDX4CHDS"; channel names at most 8);
//   - Digital 6000: Sennheiser's SSC Developer's guide for Digital 6000
//     (TI 1109, §8.103: product "EM6000" or "EM6000-Dante") and
//     companion-module-sennheiser-digital6000 (src/consts.js "em6000");
//   - ew G4: Sennheiser TI 1254 as read by lclbo/RFjs (rfjs_server.js) and
//     companion-module-sennheiser-evolutionwireless (src/api.ts): one
//     channel per EM 300-500 G4, UDP 53212.
var families = []FamilyInfo{
	{Family: FamilyEWDX, Code: "ewdx", Name: "EW-DX", DeviceType: "ewdx", Transport: TransportSSC, Port: DefaultPort,
		Channels: 2, MaxNameLen: 8, Products: []Product{
			{"EWDXEM2", "EW-DX EM 2", 2}, {"EWDXEM2DANTE", "EW-DX EM 2 Dante", 2},
			{"EWDXEM4", "EW-DX EM 4 Dante", 4}, {"EWDXEM4DANTE", "EW-DX EM 4 Dante", 4},
			{"EWDX2CHS", "EW-DX EM 2", 2}, {"EWDX2CHDS", "EW-DX EM 2 Dante", 2}, {"EWDX4CHDS", "EW-DX EM 4 Dante", 4},
			// Without the family prefix, as the front panel and the
			// Companion module's device list spell them.
			{"EM2", "EW-DX EM 2", 2}, {"EM2DANTE", "EW-DX EM 2 Dante", 2},
			{"EM4", "EW-DX EM 4 Dante", 4}, {"EM4DANTE", "EW-DX EM 4 Dante", 4},
		}},
	{Family: FamilyEM6000, Code: "em6000", Name: "Digital 6000", DeviceType: "em6000", Transport: TransportSSC, Port: DefaultPort,
		Channels: 2, MaxNameLen: 8, Products: []Product{
			{"EM6000", "EM 6000", 2}, {"EM6000DANTE", "EM 6000 Dante", 2},
			{"DIGITAL6000", "EM 6000", 2},
		}},
	{Family: FamilyEWG4, Code: "ewg4", Name: "ew G4", DeviceType: "ewg4", Transport: TransportMCP, Port: G4Port,
		Channels: 1, MaxNameLen: 8, Products: []Product{
			{"EM300500G4", "EM 300-500 G4", 1}, {"EM300500", "EM 300-500 G4", 1}, {"EWG4", "EM 300-500 G4", 1},
		}},
}

// Families lists every family Micboard drives, in table order.
func Families() []FamilyInfo { return append([]FamilyInfo(nil), families...) }

// Info returns the table entry of f; FamilyUnknown gives a zero FamilyInfo
// with the EW-DX name limit of 8.
func (f Family) Info() FamilyInfo {
	for _, fi := range families {
		if fi.Family == f {
			return fi
		}
	}
	return FamilyInfo{Code: "unknown", MaxNameLen: 8}
}

func (f Family) String() string { return f.Info().Code }

// FamilyByDeviceType maps a registry device type code back to its family.
func FamilyByDeviceType(code string) Family {
	for _, fi := range families {
		if fi.DeviceType == code {
			return fi.Family
		}
	}
	return FamilyUnknown
}

// normProduct upper-cases a product string and drops what spellings differ
// in: spaces, hyphens, underscores, dots and slashes.
func normProduct(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(strings.TrimSpace(s)) {
		switch r {
		case ' ', '-', '_', '.', '/', '\t':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LookupProduct maps a product string in any documented spelling ("EW-DX EM 4
// Dante", "EM 2", "EWDX4CHDS", "EM6000-Dante", "EM 300-500 G4") to its
// family and channel count. A string the table does not list still gets a
// family from a recognisable prefix (known is then false and channels 0:
// the client counts the channels that answer); otherwise FamilyUnknown.
func LookupProduct(product string) (fam Family, p Product, known bool) {
	k := normProduct(product)
	if k == "" {
		return FamilyUnknown, Product{}, false
	}
	for _, fi := range families {
		for _, pr := range fi.Products {
			if pr.Key == k {
				return fi.Family, pr, true
			}
		}
	}
	switch {
	case strings.Contains(k, "EWDX"):
		return FamilyEWDX, Product{Key: k, Model: product}, false
	case strings.Contains(k, "6000"):
		return FamilyEM6000, Product{Key: k, Model: product, Channels: 2}, false
	case strings.HasSuffix(k, "G4"), strings.Contains(k, "G4"):
		return FamilyEWG4, Product{Key: k, Model: product, Channels: 1}, false
	}
	return FamilyUnknown, Product{Key: k, Model: product}, false
}

// ChannelsOf maps a product name to its channel count: "EW-DX EM 4" (Dante
// or not) → 4, "EW-DX EM 2" → 2, Digital 6000 "EM 6000" → 2. 0 means the
// product is not recognised (probe /rx3 instead).
func ChannelsOf(product string) int {
	_, p, _ := LookupProduct(product)
	return p.Channels
}

// kindOf is the board's kind for every Sennheiser family: all are receivers.
func kindOf(Family) device.Kind { return device.KindReceiver }
