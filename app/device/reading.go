// Package device is the vendor-neutral face of a wireless receiver: one
// Reading type that every vendor codec fills, one Driver interface that every
// vendor client implements, and a registry that builds a Driver by vendor code.
// Only the vendor packages below this one know a wire format.
package device

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Opt is one optional fact in a Reading. Three states matter to the board and
// must not be confused:
//   - !Set: the message said nothing about it (keep the previous value);
//   - Set && Unknown: the device said "I don't know" (e.g. battery 255 when
//     the transmitter is off), which overrides any previous value;
//   - Set && !Unknown: V holds the value.
type Opt[T any] struct {
	V       T
	Set     bool
	Unknown bool
}

// Some returns a known value.
func Some[T any](v T) Opt[T] { return Opt[T]{V: v, Set: true} }

// Unknown returns a fact the device reported as unknown.
func Unknown[T any]() Opt[T] { return Opt[T]{Set: true, Unknown: true} }

// Get returns the value and whether it is known.
func (o Opt[T]) Get() (T, bool) { return o.V, o.Set && !o.Unknown }

// Known reports whether the fact is present and not unknown.
func (o Opt[T]) Known() bool { return o.Set && !o.Unknown }

// Overlay replaces o with n when n carries anything (known or unknown).
func (o *Opt[T]) Overlay(n Opt[T]) {
	if n.Set {
		*o = n
	}
}

// String renders "-" for absent and "unknown" for unknown, for logs and tests.
func (o Opt[T]) String() string {
	switch {
	case !o.Set:
		return "-"
	case o.Unknown:
		return "unknown"
	}
	return fmt.Sprint(o.V)
}

// RuntimeState says why a battery runtime is (not) a number of minutes. Shure
// sends three distinct sentinels instead of minutes; the board shows them
// differently ("calculating…" is not a fault).
type RuntimeState uint8

// Runtime states. RuntimeValid means BatteryMinutes holds minutes.
const (
	RuntimeValid        RuntimeState = iota
	RuntimeUnknown                   // 65535: no transmitter or no data
	RuntimeCalculating               // 65534: transmitter is still estimating
	RuntimeCommsWarning              // 65533: battery does not talk to the transmitter
)

func (s RuntimeState) String() string {
	switch s {
	case RuntimeValid:
		return "valid"
	case RuntimeUnknown:
		return "unknown"
	case RuntimeCalculating:
		return "calculating"
	case RuntimeCommsWarning:
		return "comms-warning"
	}
	return fmt.Sprintf("RuntimeState(%d)", uint8(s))
}

// Kind says what sort of device a Reading describes. The board shows a
// receiver's channels (battery, RF in, audio out) differently from an in-ear
// transmitter's (no battery: RF out and audio in).
type Kind string

// Device kinds.
const (
	KindReceiver       Kind = "receiver"
	KindIEMTransmitter Kind = "iem-transmitter"
)

// Reading is one update from a receiver: whatever one message (or one batch of
// messages read together) said. Fields that the update did not mention are
// left unset, so a Reading can be merged onto the previous state.
type Reading struct {
	// At is when the update was received (set by the client).
	At time.Time

	Name         Opt[string] // the receiver's own name (Shure DEVICE_ID, SSC /device/name)
	Model        Opt[string] // e.g. "AD4Q-A", "ULXD4Q", "EW-DX EM 4"
	Firmware     Opt[string]
	Serial       Opt[string]
	RFBand       Opt[string] // e.g. "G57"
	ChannelCount Opt[int]    // derived from the model or by probing
	// Family is the device type code the registry stores ("ulxd", "qlxd",
	// "axtd", "slxd", "uhfr", "p10t", ...), learned from what the device
	// does, so a model string the code does not list still registers.
	Family Opt[string]
	Kind   Opt[Kind]

	// Channels maps channel number (1-based) to what this update said about it.
	Channels map[int]*ChannelReading
}

// ChannelReading is what an update said about one channel. Unit and scale are
// fixed per field so that the board never needs to know the vendor.
type ChannelReading struct {
	Name         Opt[string]
	FrequencyKHz Opt[int]

	// BatteryBars is 0..5; Unknown when the device sent 255 (no transmitter).
	BatteryBars Opt[int]
	// BatteryPercent is 0..100; Unknown when the device does not know.
	BatteryPercent Opt[int]
	// BatteryMinutes is runtime left. When it is Unknown, BatteryRuntime says
	// which sentinel the device sent; BatteryRuntime is meaningful only when
	// BatteryMinutes.Set.
	BatteryMinutes Opt[int]
	BatteryRuntime RuntimeState
	// BatteryType is the device's own code (Shure ALKA/LION/LITH/NIMH, SSC
	// "Battery"/"Primary Cell"); Unknown for UNKN.
	BatteryType Opt[string]

	TxModel    Opt[string] // e.g. "ULXD2", "AD2", "SKM"; Unknown for UNKN/UNKNOWN
	TxOffsetDB Opt[int]

	// RFLevelDBm holds one level per antenna when the device reports them
	// separately (Axient Digital: 2 or 4), else a single combined level. nil
	// means the update carried no RF level.
	RFLevelDBm []float64
	// Diversity has one letter per antenna: 'X' means no signal on that
	// antenna, any other letter means signal (ULX-D names the antenna A/B,
	// Axient Digital gives a colour R/B, SSC is mapped to A/B).
	Diversity Opt[string]

	AudioLevelDBFS Opt[float64] // RMS/level meter
	AudioPeakDBFS  Opt[float64] // peak meter, where the device has one
	// AudioPeak is true when the device flagged clipping in this update. Only
	// devices with an explicit flag set it (Axient bit 7, SSC "AfPeak").
	AudioPeak Opt[bool]

	// Quality is link quality on a 0..QualityMax scale (Axient 0..5, SSC
	// 0..100); Unknown when the device sent 255 (no transmitter).
	Quality    Opt[int]
	QualityMax int

	Muted Opt[bool]
	Gain  Opt[float64] // dB

	// In-ear transmitters (Kind KindIEMTransmitter) send, not receive:
	// AudioLevelDBFS is then the left (or mono) audio input and
	// AudioLevelRightDBFS the right one; RFPowerMW the transmit power and
	// RFMuted whether RF output is muted. Receivers leave these unset.
	AudioLevelRightDBFS Opt[float64]
	RFPowerMW           Opt[int]
	RFMuted             Opt[bool]

	// RFPeak is true while the device reports an overloaded RF input (SSC
	// "RfPeak", Digital 6000 RF peak), LowSignal while it warns of a weak
	// link (SSC "LowSignal"). Devices without such a warning leave them unset.
	RFPeak    Opt[bool]
	LowSignal Opt[bool]
	// Warnings and TxWarnings are the receiver channel's and the
	// transmitter's own warning codes as the device spells them ("NoLink",
	// "Aes256Error", "LowBattery"...), for tiles and logs; an empty list
	// means the device reported none. The meaningful ones are also mapped
	// onto the fields above (AudioPeak, Quality, LowSignal, RFPeak).
	Warnings   Opt[[]string]
	TxWarnings Opt[[]string]
}

// Channel returns the entry for channel n, creating it (and the map) when the
// Reading has none yet. Codecs use it to fill a Reading.
func (r *Reading) Channel(n int) *ChannelReading {
	if c, ok := r.Channels[n]; ok {
		return c
	}
	if r.Channels == nil {
		r.Channels = make(map[int]*ChannelReading, 1)
	}
	c := &ChannelReading{}
	r.Channels[n] = c
	return c
}

// ChannelNumbers returns the channel numbers present, ascending.
func (r *Reading) ChannelNumbers() []int {
	return slices.Sorted(maps.Keys(r.Channels))
}

// Empty reports whether the Reading carries no fact at all.
func (r *Reading) Empty() bool {
	return !r.Name.Set && !r.Model.Set && !r.Firmware.Set && !r.Serial.Set &&
		!r.RFBand.Set && !r.ChannelCount.Set && !r.Family.Set && !r.Kind.Set && len(r.Channels) == 0
}

// Merge overlays u onto r: every fact u carries (known or unknown) replaces
// r's, everything else is kept. The monitor keeps one Reading per receiver as
// its state and merges each update into it. u is not retained.
func (r *Reading) Merge(u Reading) {
	if !u.At.IsZero() {
		r.At = u.At
	}
	r.Name.Overlay(u.Name)
	r.Model.Overlay(u.Model)
	r.Firmware.Overlay(u.Firmware)
	r.Serial.Overlay(u.Serial)
	r.RFBand.Overlay(u.RFBand)
	r.ChannelCount.Overlay(u.ChannelCount)
	r.Family.Overlay(u.Family)
	r.Kind.Overlay(u.Kind)
	for n, c := range u.Channels {
		if c != nil {
			r.Channel(n).Merge(*c)
		}
	}
}

// Clone returns a deep copy, safe to hand to another goroutine.
func (r Reading) Clone() Reading {
	out := r
	out.Channels = nil
	for n, c := range r.Channels {
		if c != nil {
			out.Channel(n).Merge(*c)
		}
	}
	return out
}

// Merge overlays u onto c (see Reading.Merge).
func (c *ChannelReading) Merge(u ChannelReading) {
	c.Name.Overlay(u.Name)
	c.FrequencyKHz.Overlay(u.FrequencyKHz)
	c.BatteryBars.Overlay(u.BatteryBars)
	c.BatteryPercent.Overlay(u.BatteryPercent)
	if u.BatteryMinutes.Set {
		c.BatteryMinutes = u.BatteryMinutes
		c.BatteryRuntime = u.BatteryRuntime
	}
	c.BatteryType.Overlay(u.BatteryType)
	c.TxModel.Overlay(u.TxModel)
	c.TxOffsetDB.Overlay(u.TxOffsetDB)
	if u.RFLevelDBm != nil {
		// Copy: the update's slice may be reused by its producer.
		c.RFLevelDBm = append(c.RFLevelDBm[:0:0], u.RFLevelDBm...)
	}
	c.Diversity.Overlay(u.Diversity)
	c.AudioLevelDBFS.Overlay(u.AudioLevelDBFS)
	c.AudioPeakDBFS.Overlay(u.AudioPeakDBFS)
	c.AudioPeak.Overlay(u.AudioPeak)
	if u.Quality.Set {
		c.Quality = u.Quality
		c.QualityMax = u.QualityMax
	}
	c.Muted.Overlay(u.Muted)
	c.Gain.Overlay(u.Gain)
	c.AudioLevelRightDBFS.Overlay(u.AudioLevelRightDBFS)
	c.RFPowerMW.Overlay(u.RFPowerMW)
	c.RFMuted.Overlay(u.RFMuted)
	c.RFPeak.Overlay(u.RFPeak)
	c.LowSignal.Overlay(u.LowSignal)
	// Copy: the update's slices may be reused by its producer.
	if u.Warnings.Set {
		c.Warnings = u.Warnings
		c.Warnings.V = append([]string(nil), u.Warnings.V...)
	}
	if u.TxWarnings.Set {
		c.TxWarnings = u.TxWarnings
		c.TxWarnings.V = append([]string(nil), u.TxWarnings.V...)
	}
}

// MaxRFLevel returns the strongest antenna's RF level, if any was reported.
func (c *ChannelReading) MaxRFLevel() (float64, bool) {
	if len(c.RFLevelDBm) == 0 {
		return 0, false
	}
	return slices.Max(c.RFLevelDBm), true
}

// AntennasActive counts antennas that carry signal according to Diversity.
func (c *ChannelReading) AntennasActive() int {
	d, ok := c.Diversity.Get()
	if !ok {
		return 0
	}
	n := 0
	for i := 0; i < len(d); i++ {
		if d[i] != 'X' && d[i] != 'x' {
			n++
		}
	}
	return n
}
