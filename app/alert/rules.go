// Package alert turns what the live board publishes into alerts that reach
// people: rules evaluated on every change (never by polling the database),
// a lifecycle stored in PostgreSQL (open → acknowledged → resolved), and
// delivery to the browser, webhooks, e-mail and MQTT, none of which can slow
// the board or one another.
package alert

import (
	"time"

	"micboard/app/live"
	"micboard/app/model"
)

// Config holds the rules' defaults; an assignment may set its own battery,
// RF and audio limits and switch kinds on or off.
type Config struct {
	// RFLossAfter is how long a transmitter that is on may have no RF (or
	// link quality 0) before it is an alert (default 3 s).
	RFLossAfter time.Duration
	// RFFloorDBm is the level at or below which an antenna has no signal
	// (default -95 dBm).
	RFFloorDBm float64
	// AudioLowDBFS and AudioLowAfter define "audio low": below the level for
	// that long while the transmitter is on (defaults -50 dBFS, 10 s). It is
	// off unless an assignment switches it on.
	AudioLowDBFS  float64
	AudioLowAfter time.Duration
	// Repeat is the least time between two alerts of one kind on one channel
	// (default 5 min): a flapping condition does not alert again within it.
	Repeat time.Duration
}

// DefaultConfig is the rules' defaults with nothing overridden.
func DefaultConfig() Config { return Config{}.withDefaults() }

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.RFLossAfter <= 0 {
		c.RFLossAfter = 3 * time.Second
	}
	if c.RFFloorDBm == 0 {
		c.RFFloorDBm = -95
	}
	if c.AudioLowDBFS == 0 {
		c.AudioLowDBFS = -50
	}
	if c.AudioLowAfter <= 0 {
		c.AudioLowAfter = 10 * time.Second
	}
	if c.Repeat <= 0 {
		c.Repeat = 5 * time.Minute
	}
	return c
}

// policy is what the rules apply to one channel: its assignment's flags and
// limits, or the defaults for a channel nobody is assigned to. The battery
// is graded by the board's levels (model.StatusThresholds, the tile's own)
// with the assignment's battery limits in their place where it sets them.
type policy struct {
	flags     model.AlertFlags
	battery   model.BatteryThresholds
	rfAfter   time.Duration
	audioDBFS float64
	assigned  bool
}

func defaultPolicy(c Config) policy {
	return policy{flags: model.DefaultAlerts, battery: model.StatusThresholds, rfAfter: c.RFLossAfter, audioDBFS: c.AudioLowDBFS}
}

func assignmentPolicy(c Config, a *model.Assignment) policy {
	p := policy{flags: a.AlertFlags, battery: a.AlertLimits.Battery(model.StatusThresholds),
		rfAfter: c.RFLossAfter, audioDBFS: c.AudioLowDBFS, assigned: true}
	if a.RFLossSeconds != nil {
		p.rfAfter = time.Duration(*a.RFLossSeconds) * time.Second
	}
	if a.AudioLowDBFS != nil {
		p.audioDBFS = *a.AudioLowDBFS
	}
	return p
}

// txOn reports a transmitter that is heard: it reports a battery, or it is
// a device that has none to report.
func txOn(t *live.Tile) bool { return !t.DeviceType.ReportsBattery() || t.Battery.Known() }

// rfLost reports no RF on any antenna, or a link quality of 0.
func rfLost(t *live.Tile, floor float64) bool {
	if t.Quality != nil && *t.Quality == 0 {
		return true
	}
	if m, ok := t.RFMax(); ok && m <= floor {
		return true
	}
	if d := t.Diversity; d != "" {
		for i := 0; i < len(d); i++ {
			if d[i] != 'X' && d[i] != 'x' {
				return false
			}
		}
		return true
	}
	return false
}

// audioLow reports an audio level below the limit.
func audioLow(t *live.Tile, limit float64) bool { return t.AudioDBFS != nil && *t.AudioDBFS < limit }
