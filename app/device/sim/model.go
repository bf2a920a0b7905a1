package sim

import (
	"fmt"
	"sort"
	"strings"
)

// Vendor names used in Endpoint.Vendor.
const (
	VendorShure      = "shure"
	VendorSennheiser = "sennheiser"
)

// family groups models that share a parameter set and sample format.
type family int

const (
	famULX  family = iota // ULX-D and QLX-D: same command strings
	famAD                 // Axient Digital AD4D/AD4Q
	famSLX                // SLX-D
	famEWDX               // Sennheiser EW-DX over SSC
)

// modelSpec is everything that differs between simulated models.
type modelSpec struct {
	code      string // command-line code, e.g. "ulxd4q"
	vendor    string
	model     string // Endpoint.Model, e.g. "ULXD4Q", "EW-DX EM 4"
	wireModel string // what MODEL / product reports on the wire
	fam       family
	channels  int
	txModels  []string
	band      string
	fw        string
	freqLo    int // kHz
	freqHi    int // kHz
	nameMax   int // longest channel name the receiver stores
}

var modelSpecs = map[string]modelSpec{
	"ulxd4q": {code: "ulxd4q", vendor: VendorShure, model: "ULXD4Q", wireModel: "ULXD4Q", fam: famULX, channels: 4,
		txModels: []string{"ULXD1", "ULXD2"}, band: "G50", fw: "2.7.6.0", freqLo: 470125, freqHi: 534875, nameMax: 8},
	"ulxd4d": {code: "ulxd4d", vendor: VendorShure, model: "ULXD4D", wireModel: "ULXD4D", fam: famULX, channels: 2,
		txModels: []string{"ULXD1", "ULXD2"}, band: "G50", fw: "2.7.6.0", freqLo: 470125, freqHi: 534875, nameMax: 8},
	"qlxd4": {code: "qlxd4", vendor: VendorShure, model: "QLXD4", wireModel: "QLXD4", fam: famULX, channels: 1,
		txModels: []string{"QLXD2"}, band: "G50", fw: "2.3.11.0", freqLo: 470125, freqHi: 534875, nameMax: 8},
	// Real AD receivers append a regional suffix to MODEL; clients must cope.
	"ad4q": {code: "ad4q", vendor: VendorShure, model: "AD4Q", wireModel: "AD4Q-A", fam: famAD, channels: 4,
		txModels: []string{"AD2", "ADX1"}, band: "G57", fw: "1.2.12.0", freqLo: 470000, freqHi: 616000, nameMax: 31},
	"ad4d": {code: "ad4d", vendor: VendorShure, model: "AD4D", wireModel: "AD4D-A", fam: famAD, channels: 2,
		txModels: []string{"AD2", "ADX1"}, band: "G57", fw: "1.2.12.0", freqLo: 470000, freqHi: 616000, nameMax: 31},
	"slxd4d": {code: "slxd4d", vendor: VendorShure, model: "SLXD4D", wireModel: "SLXD4D", fam: famSLX, channels: 2,
		txModels: []string{"SLXD1", "SLXD2"}, band: "G58", fw: "1.1.4.0", freqLo: 470000, freqHi: 514000, nameMax: 31},
	"ewdx4": {code: "ewdx4", vendor: VendorSennheiser, model: "EW-DX EM 4", wireModel: "EW-DX EM 4", fam: famEWDX, channels: 4,
		txModels: []string{"SK", "SKM"}, band: "Q1-9", fw: "3.2.1", freqLo: 470200, freqHi: 550000, nameMax: 16},
	"ewdx2": {code: "ewdx2", vendor: VendorSennheiser, model: "EW-DX EM 2", wireModel: "EW-DX EM 2", fam: famEWDX, channels: 2,
		txModels: []string{"SK", "SKM"}, band: "Q1-9", fw: "3.2.1", freqLo: 470200, freqHi: 550000, nameMax: 16},
}

// ModelCodes lists the model codes StartReceiver and Fleet accept.
func ModelCodes() []string {
	codes := make([]string, 0, len(modelSpecs))
	for c := range modelSpecs {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

func lookupModel(code string) (modelSpec, error) {
	m, ok := modelSpecs[strings.ToLower(strings.TrimSpace(code))]
	if !ok {
		return modelSpec{}, fmt.Errorf("unknown model %q (want one of %s)", code, strings.Join(ModelCodes(), ", "))
	}
	return m, nil
}

// handheld reports whether a transmitter model is a handheld, which decides
// the HH/BP slot id in generated names.
func handheld(tx string) bool {
	switch tx {
	case "ULXD2", "QLXD2", "AD2", "SLXD2", "SKM":
		return true
	}
	return false
}
