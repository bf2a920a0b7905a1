package web

import "micboard/app/device"

// vendorChoice is one vendor as the pages offer it (filters, the discovery
// form, the empty board's examples), read from the device registry so a new
// vendor shows up without touching a template.
type vendorChoice struct {
	Code, Name string
	Port       int
}

// vendorChoices lists the registered vendors, by code.
func vendorChoices() []vendorChoice {
	vs := device.AllVendors()
	out := make([]vendorChoice, 0, len(vs))
	for _, v := range vs {
		out = append(out, vendorChoice{Code: v.Code, Name: v.Name, Port: v.DefaultPort})
	}
	return out
}
