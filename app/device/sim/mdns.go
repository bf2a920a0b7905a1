package sim

import (
	"fmt"
	"log/slog"
	"strings"

	"micboard/app/device/mdns"
)

// SSCService is the DNS-SD service type an SSC v1 receiver publishes
// (Sennheiser's SSC developer guides, "SSC Server Discovery": every
// SSC-over-UDP server publishes `_ssc._udp`; the instance name is the
// device name, /device/name; the TXT record carries txtvers and version).
const SSCService = "_ssc._udp"

// sscVersion is the SSC version the simulated receivers speak (their
// /osc/version), published in the TXT record.
const sscVersion = "1.0"

// MDNSInstance is how the receiver publishes itself over DNS-SD, the way
// the SSC guides describe it; false for a receiver whose protocol publishes
// nothing there (Shure, ew G4, the SSCv2 HTTPS models) and for a stopped or
// dropped one.
func (r *Receiver) MDNSInstance() (mdns.Instance, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spec.vendor != VendorSennheiser || (r.spec.fam != famEWDX && r.spec.fam != famEM6000) || r.stopped || r.dropped {
		return mdns.Instance{}, false
	}
	return mdns.Instance{
		// A DNS label cannot hold a dot as the browser reads names, so a
		// device name with one is published with a space instead.
		Name:    strings.ReplaceAll(r.name, ".", " "),
		Service: SSCService,
		// The host name carries the serial, as the guides suggest, so two
		// receivers never share one.
		Target: fmt.Sprintf("%s-%s.local.", hostLabel(r.spec.code), r.serial),
		Port:   r.port,
		Addrs:  mdns.AddrOf(r.host),
		TXT:    map[string]string{"txtvers": "1", "version": sscVersion},
	}, true
}

// hostLabel turns a model code into the start of a host name.
func hostLabel(code string) string {
	return strings.ToUpper(strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			return c
		}
		return -1
	}, code))
}

// ServeMDNS answers DNS-SD queries on addr for every receiver of rxs that
// publishes itself (MDNSInstance), as those receivers are at the time of
// each query. addr may be the mDNS group ("224.0.0.251:5353", joined on the
// default interface) or a unicast address such as "127.0.0.1:0", which a
// browser can be pointed at where multicast is not available.
func ServeMDNS(addr string, rxs []*Receiver, log *slog.Logger) (*mdns.Responder, error) {
	rxs = append([]*Receiver(nil), rxs...)
	r, err := mdns.Listen(addr, func() []mdns.Instance {
		var out []mdns.Instance
		for _, rx := range rxs {
			if in, ok := rx.MDNSInstance(); ok {
				out = append(out, in)
			}
		}
		return out
	}, log)
	if err != nil {
		return nil, fmt.Errorf("simulated mdns responder: %w", err)
	}
	return r, nil
}
