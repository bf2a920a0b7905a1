// Package live is the board: the latest state of every channel in memory,
// its derived status, a short history for charts, and a publish/subscribe
// hub that tells the web layer and the store which channels changed. A meter
// sample never waits on the database or on a slow browser.
package live

import (
	"time"

	"micboard/app/device"
	"micboard/app/model"
)

// Tile is a snapshot of one channel as the board shows it. Snapshots are
// copies: a holder may read them from any goroutine.
type Tile struct {
	ChannelID  int64
	ReceiverID int64
	Number     int

	// Slot and Name come from the performer name written into the device
	// ("HH01 Fatai"), or from the override set in Micboard.
	Slot       string
	Name       string
	DeviceName string
	Performer  string
	Assigned   bool
	// overrideName replaces the device's name while the device still
	// reports overrideFor.
	overrideName, overrideFor string

	ReceiverName string
	Vendor       string
	Model        string
	DeviceType   model.DeviceType
	Host         string
	LocationID   *int64
	Online       bool
	// OfflineSince is when the receiver stopped answering: nil while it
	// answers, or when nobody knows (never heard).
	OfflineSince *time.Time
	// UnwatchedSince is set while nobody watches the receiver (the
	// instance holding its lease died): the tile keeps its last state,
	// greyed, until a watcher speaks again. Nil while watched.
	UnwatchedSince *time.Time

	FrequencyKHz *int
	TxModel      string
	Battery      model.Battery
	Runtime      device.RuntimeState
	BatteryType  string
	// LastBattery and LastHeard keep the last known battery so a silent
	// transmitter can be shown striped at its last level.
	LastBattery model.Battery
	LastHeard   *time.Time

	RFLevelDBm []float64
	Diversity  string
	AudioDBFS  *float64
	PeakDBFS   *float64
	LastPeakAt *time.Time
	Quality    *int
	QualityMax int
	Muted      bool
	TxOffsetDB *int
	// An in-ear transmitter's own facts (see InEar): the right audio input
	// (AudioDBFS is the left or mono one), transmit power and RF mute.
	AudioRightDBFS *float64
	RFPowerMW      *int
	RFMuted        *bool

	Status model.Status
	// Base is Status beneath a clip's pulse (model.Health): the colour and
	// whether the channel needs attention.
	Base model.Status
	// Version grows with every change, so a client can tell stale updates.
	Version uint64
	// StateVersion is the Version of the tile's last state change: what a
	// tile draws apart from its meters stays the same while it does not
	// move, so a rendering keyed by it survives ten meter samples a second.
	StateVersion uint64
	UpdatedAt    time.Time
}

// rename derives Slot and Name from the device name, the override and the
// performer.
func (t *Tile) rename() {
	name := t.DeviceName
	if t.overrideName != "" && t.overrideFor == t.DeviceName {
		name = t.overrideName
	}
	t.Slot, t.Name = model.SplitSlotName(name)
	if t.Name == "" {
		t.Name = t.Performer
	}
}

// NeedsAttention reports a channel an operator must act on: the one rule
// behind the board's count, its attention filter and kiosks.
func (t *Tile) NeedsAttention() bool {
	return model.Health{Status: t.Status, Base: t.Base}.NeedsAttention()
}

// RFMax returns the strongest antenna's level.
func (t *Tile) RFMax() (float64, bool) {
	if len(t.RFLevelDBm) == 0 {
		return 0, false
	}
	m := t.RFLevelDBm[0]
	for _, v := range t.RFLevelDBm[1:] {
		m = max(m, v)
	}
	return m, true
}

// clone copies the slices so the snapshot does not share memory with the
// board.
func (t *Tile) clone() Tile {
	c := *t
	c.RFLevelDBm = append([]float64(nil), t.RFLevelDBm...)
	return c
}

// Change says what changed in a tile since a subscriber last looked.
type Change uint8

// Kinds of change. State covers status, names, battery and anything else
// that must reach the screen and the database promptly; Meter covers RF and
// audio levels that are sampled, and a clip's pulse; Runtime is a battery's
// minutes or percent left moving while its bars and status stay put. A
// thousand packs each count down a minute at a time, so the text travels
// with the meters rather than re-drawing a whole tile every minute per pack.
const (
	ChangeMeter Change = 1 << iota
	ChangeState
	ChangeRuntime
)
