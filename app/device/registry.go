package device

import (
	"context"
	"slices"
	"time"
)

// Vendor is everything the rest of Micboard knows about one vendor. A vendor
// package fills it in and passes it to RegisterVendor from init; the web
// side, the monitor, discovery, the command line and the database's
// manufacturer rows read it from here, so adding a vendor or a family is a
// change to its own folder (plus a blank import in app/device/all).
type Vendor struct {
	Code string // stored with a receiver, e.g. "shure"
	Name string // shown to people, e.g. "Shure"
	// Transport and DefaultPort describe the control port a receiver is
	// added on when no port is given ("tcp" 2202, "udp" 45).
	Transport   string
	DefaultPort int
	// LoginPort is the port of the vendor's login API, used instead of
	// DefaultPort when a receiver is added with a password; 0 means the
	// vendor takes no password. DefaultUser is the user name then.
	LoginPort   int
	DefaultUser string
	// New builds a Driver for one receiver.
	New Factory
	// Probe reports cheaply whether something at host:port speaks the
	// vendor's protocol (discovery scans call it before Identify); nil
	// means "try Identify". It must return within timeout.
	Probe func(ctx context.Context, host string, port int, timeout time.Duration) bool
	// ScanPorts are the ports a range scan probes besides DefaultPort
	// (families with a fixed port of their own, e.g. ew G4 on UDP 53212).
	ScanPorts []int
	// DeviceTypeOf maps a model string the device reports to a device
	// type code of Families, "" when it cannot tell.
	DeviceTypeOf func(model string) string
	// Families lists the device types the vendor's driver speaks.
	Families []Family
	// AnnounceAddr and ParseAnnouncement, when set, say where and how the
	// vendor's devices announce themselves (Shure: SLP on the multicast
	// group 239.255.254.253:8427); discovery's slp task listens there.
	AnnounceAddr      string
	ParseAnnouncement func(datagram []byte) (Announcement, bool)
	// MDNSService, when set, is the DNS-SD service type the vendor's
	// devices publish over multicast DNS (Sennheiser SSC: "_ssc._udp");
	// discovery's mdns task browses it.
	MDNSService string
	// MDNSModel, when set, reads what a published instance says about its
	// device (its instance name and TXT pairs, keys lower-case): the model
	// and channel count when they name one the vendor's table lists.
	MDNSModel func(instance string, txt map[string]string) (model string, channels int, ok bool)
}

// Announcement is what one announcement datagram says about its sender.
// Model is empty (and Channels 0) for an ID the vendor's table does not
// list: discovery logs the ID and asks the device what it is.
type Announcement struct {
	ID       string // e.g. a Shure device class id
	URL      string
	Model    string
	Channels int
}

// Announcer returns the vendor whose devices announce themselves: code's,
// when it has announcements, else the first registered one that does.
func Announcer(code string) (Vendor, bool) {
	if v, ok := LookupVendor(code); ok && v.ParseAnnouncement != nil {
		return v, true
	}
	for _, v := range AllVendors() {
		if v.ParseAnnouncement != nil {
			return v, true
		}
	}
	return Vendor{}, false
}

// Publisher returns the vendor whose devices publish a DNS-SD service:
// code's (false when its devices publish none), or with no code the first
// registered one that does.
func Publisher(code string) (Vendor, bool) {
	if code != "" {
		v, ok := LookupVendor(code)
		return v, ok && v.MDNSService != ""
	}
	for _, v := range AllVendors() {
		if v.MDNSService != "" {
			return v, true
		}
	}
	return Vendor{}, false
}

// Family is one device type of a vendor: what a receiver's device_type
// column holds and what the board needs to know about it.
type Family struct {
	DeviceType string // e.g. "ulxd", "p10t", "ewg4"
	Name       string // e.g. "ULX-D", "PSM1000 P10T"
	Kind       Kind
	// NoBattery marks a device type that never reports a battery (a
	// PSM1000 P10T in-ear transmitter): its silence about one must not
	// turn its channels TX_OFF.
	NoBattery bool
	// MaxNameLen is the longest channel name the device stores.
	MaxNameLen int
	// Models are model strings of the family as the device reports them.
	Models []string
	// Port is the family's own control port when it differs from the
	// vendor's default (0 = DefaultPort).
	Port int
	// Fallback marks the type a device of the vendor gets when it talks
	// but matches none of the vendor's families: it is registered and
	// watched with what every family shares, not refused. Such a type has
	// no Models, since a name never leads to it.
	Fallback bool
}

// RegisterVendor makes a vendor available to New, Vendors and the lookups
// below. Vendor packages call it from init; registering a code twice is a
// programming error and panics.
func RegisterVendor(v Vendor) {
	if v.Code == "" || v.New == nil {
		panic("device: RegisterVendor needs a code and a factory")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[v.Code]; dup {
		panic("device: vendor registered twice: " + v.Code)
	}
	vv := v
	vv.Families = slices.Clone(v.Families)
	vv.ScanPorts = slices.Clone(v.ScanPorts)
	registry[v.Code] = &vv
}

// LookupVendor returns the registered vendor with that code.
func LookupVendor(code string) (Vendor, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	v, ok := registry[code]
	if !ok {
		return Vendor{}, false
	}
	return *v, true
}

// AllVendors returns every registered vendor, sorted by code.
func AllVendors() []Vendor {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]Vendor, 0, len(registry))
	for _, v := range registry {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b Vendor) int {
		switch {
		case a.Code < b.Code:
			return -1
		case a.Code > b.Code:
			return 1
		}
		return 0
	})
	return out
}

// DefaultPort is the control port a vendor's receivers are added on, 0 for
// an unknown vendor.
func DefaultPort(vendor string) int {
	v, _ := LookupVendor(vendor)
	return v.DefaultPort
}

// LookupDeviceType finds a device type code among every vendor's families.
func LookupDeviceType(code string) (Vendor, Family, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	for _, v := range registry {
		for _, f := range v.Families {
			if f.DeviceType == code {
				return *v, f, true
			}
		}
	}
	return Vendor{}, Family{}, false
}

// DeviceTypes lists every registered device type code, sorted.
func DeviceTypes() []string {
	var out []string
	for _, v := range AllVendors() {
		for _, f := range v.Families {
			if !slices.Contains(out, f.DeviceType) {
				out = append(out, f.DeviceType)
			}
		}
	}
	slices.Sort(out)
	return out
}

// DeviceTypeOf maps a model a receiver of vendor reports to its device type
// code, "" when the vendor cannot tell.
func DeviceTypeOf(vendor, model string) string {
	v, ok := LookupVendor(vendor)
	if !ok || v.DeviceTypeOf == nil {
		return ""
	}
	return v.DeviceTypeOf(model)
}
