// Package shure speaks Shure's TCP command strings (port 2202) for ULX-D,
// QLX-D, Axient Digital (AD4D/AD4Q) and SLX-D receivers: a zero-allocation
// parser for the `< ... >` messages, encoders for the commands Micboard sends
// (and the replies the simulator sends), and a device.Driver client.
package shure

import (
	"strings"
)

// DefaultPort is the receivers' command-string port.
const DefaultPort = 2202

// Family groups models that share parameter names and sample layout.
type Family uint8

// Model families.
const (
	FamilyUnknown Family = iota
	FamilyULXD           // ULX-D and QLX-D: BATT_*, 6-digit frequency, SAMPLE div rf audio
	FamilyAD             // Axient Digital AD4D/AD4Q: TX_BATT_*, quality, per-antenna samples
	FamilySLXD           // SLX-D: TX_BATT_*, SAMPLE peak rms rssi
)

func (f Family) String() string {
	switch f {
	case FamilyULXD:
		return "ulxd"
	case FamilyAD:
		return "ad"
	case FamilySLXD:
		return "slxd"
	}
	return "unknown"
}

// FamilyOf maps a MODEL string (e.g. "ULXD4Q", "QLXD4", "AD4Q-A", "SLXD4D")
// to its family. Unknown models give FamilyUnknown.
func FamilyOf(model string) Family {
	m := strings.ToUpper(strings.TrimSpace(model))
	switch {
	case strings.HasPrefix(m, "ULXD"), strings.HasPrefix(m, "QLXD"):
		return FamilyULXD
	case strings.HasPrefix(m, "SLXD"):
		return FamilySLXD
	case strings.HasPrefix(m, "AD"):
		return FamilyAD
	}
	return FamilyUnknown
}

// ChannelsOf returns the channel count of a model: ULX-D single/dual/quad
// 1/2/4, QLX-D 1, AD4D 2, AD4Q 4, SLX-D 1 or 2. 0 means unknown model.
func ChannelsOf(model string) int {
	m := strings.ToUpper(strings.TrimSpace(model))
	// The letter after the "…4" base names the variant: D dual, Q quad.
	variant := func(base string) byte {
		if len(m) > len(base) {
			return m[len(base)]
		}
		return 0
	}
	switch {
	case strings.HasPrefix(m, "ULXD4"):
		switch variant("ULXD4") {
		case 'D':
			return 2
		case 'Q':
			return 4
		}
		return 1
	case strings.HasPrefix(m, "QLXD4"):
		return 1
	case strings.HasPrefix(m, "SLXD4"):
		if variant("SLXD4") == 'D' {
			return 2
		}
		return 1
	case strings.HasPrefix(m, "AD4"):
		switch variant("AD4") {
		case 'D':
			return 2
		case 'Q':
			return 4
		}
	}
	return 0
}

// MaxNameLen is the longest channel name SET accepts: 8 characters on
// ULX-D/QLX-D, 31 on AD and SLX-D. An unknown family gets the safe 8.
func MaxNameLen(f Family) int {
	switch f {
	case FamilyAD, FamilySLXD:
		return 31
	}
	return 8
}

// Widths of the brace-padded strings a device sends.
const (
	WidthName     = 31 // CHAN_NAME on AD/SLX-D, and DEVICE_ID
	WidthFirmware = 24 // FW_VER
	WidthModel    = 32 // MODEL
)
