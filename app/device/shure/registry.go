package shure

import (
	"context"
	"net"
	"strconv"
	"time"

	"micboard/app/device"
)

func init() {
	device.RegisterVendor(device.Vendor{
		Code: device.VendorShure, Name: "Shure",
		Transport: "tcp", DefaultPort: DefaultPort,
		New:          func(cfg device.Config) (device.Driver, error) { return New(cfg) },
		Probe:        probeTCP,
		DeviceTypeOf: func(model string) string { return DeviceTypeOf(FamilyOf(model), model) },
		Families:     registryFamilies(),
		AnnounceAddr: DefaultSLPAddr,
		ParseAnnouncement: func(b []byte) (device.Announcement, bool) {
			a, ok := ParseSLP(b)
			return device.Announcement{ID: a.DCID, URL: a.URL, Model: a.Model, Channels: a.Channels}, ok
		},
	})
}

// registryFamilies turns the family table into the registry's device types:
// one per device type code (QLX-D has its own within the ULX-D family, and
// SLX-D+ shares SLX-D's).
func registryFamilies() []device.Family {
	var out []device.Family
	idx := map[string]int{}
	add := func(code, name string, fi FamilyInfo, model string) {
		i, ok := idx[code]
		if !ok {
			port := 0
			if fi.Port != DefaultPort {
				port = fi.Port
			}
			idx[code] = len(out)
			out = append(out, device.Family{DeviceType: code, Name: name, Kind: fi.Kind,
				NoBattery: fi.Kind == device.KindIEMTransmitter, MaxNameLen: fi.MaxNameLen, Port: port})
			i = len(out) - 1
		}
		out[i].Models = append(out[i].Models, model)
	}
	for _, fi := range families {
		for _, mi := range fi.Models {
			code, name := fi.DeviceType, fi.Name
			if mi.DeviceType != "" {
				code, name = mi.DeviceType, mi.DeviceType
				if code == "qlxd" {
					name = "QLX-D"
				}
			} else if fi.Family == FamilyULXD {
				name = "ULX-D"
			}
			if fi.Family == FamilySLXDPlus {
				name = "SLX-D"
			}
			add(code, name, fi, mi.Model)
		}
		if fi.Family == FamilyGeneric {
			out = append(out, device.Family{DeviceType: fi.DeviceType, Name: fi.Name, Kind: fi.Kind,
				MaxNameLen: fi.MaxNameLen, Fallback: true})
		}
	}
	return out
}

// probeTCP reports whether something accepts a TCP connection at
// host:port. Answering proves little (anything may listen on TCP 2202):
// discovery then asks the device what it is.
func probeTCP(ctx context.Context, host string, port int, timeout time.Duration) bool {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}
