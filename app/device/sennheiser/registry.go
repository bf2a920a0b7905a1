package sennheiser

import (
	"fmt"

	"micboard/app/device"
)

func init() {
	device.RegisterVendor(device.Vendor{
		Code: device.VendorSennheiser, Name: "Sennheiser",
		Transport: "udp", DefaultPort: DefaultPort,
		LoginPort: SSCv2Port, DefaultUser: DefaultV2User,
		New:       newDriver,
		Probe:     Probe,
		ScanPorts: []int{G4Port},
		DeviceTypeOf: func(model string) string {
			fam, _, _ := LookupProduct(model)
			return fam.Info().DeviceType
		},
		Families:    registryFamilies(),
		MDNSService: MDNSService,
		MDNSModel:   mdnsModel,
	})
}

// MDNSService is the DNS-SD service type every networked SSC device
// publishes (Sennheiser's SSC developer guides, "SSC Server Discovery":
// SSC-over-UDP servers MUST publish `_ssc._udp`).
const MDNSService = "_ssc._udp"

// mdnsModel reads a model from a published SSC instance. The guides make
// the instance name the device's own name (/device/name) and define TXT
// keys txtvers, version and http-uri only, so a model is rarely there: a
// "product" or "model" TXT key, or an instance name that is a product name
// Micboard lists (a receiver never renamed), counts when the family table
// knows it; otherwise discovery asks the device.
func mdnsModel(instance string, txt map[string]string) (string, int, bool) {
	for _, s := range []string{txt["product"], txt["model"], instance} {
		if _, p, known := LookupProduct(s); known {
			return p.Model, p.Channels, true
		}
	}
	return "", 0, false
}

// newDriver picks the client for one receiver: the registered family
// decides; a receiver added by address alone is told apart by its port
// (45 SSC, 443 SSCv2, 53212 ew G4) or, on any other port, by probing it.
func newDriver(cfg device.Config) (device.Driver, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("sennheiser: %w: empty host", device.ErrInvalidValue)
	}
	fam := FamilyByDeviceType(cfg.Family)
	switch {
	case fam == FamilyEWG4 || (cfg.Family == "" && cfg.Port == G4Port):
		return NewG4(cfg)
	case cfg.Password != "" || cfg.Port == SSCv2Port:
		// SSC v1 has no login: a password (or the HTTPS port) means the
		// EW-DX firmware 4 API.
		return NewV2(cfg)
	case fam == FamilyUnknown && cfg.Port != 0 && cfg.Port != DefaultPort:
		return &autoClient{cfg: cfg}, nil
	}
	return New(cfg)
}

// registryFamilies turns the family table into the registry's device types.
func registryFamilies() []device.Family {
	out := make([]device.Family, 0, len(families))
	for _, fi := range families {
		f := device.Family{DeviceType: fi.DeviceType, Name: fi.Name, Kind: kindOf(fi.Family), MaxNameLen: fi.MaxNameLen}
		if fi.Port != DefaultPort {
			f.Port = fi.Port
		}
		seen := map[string]bool{}
		for _, p := range fi.Products {
			if !seen[p.Model] {
				seen[p.Model] = true
				f.Models = append(f.Models, p.Model)
			}
		}
		out = append(out, f)
	}
	return out
}
