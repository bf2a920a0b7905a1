package model

import "time"

// Status is what the board shows for a channel (PROTOCOLS.md §3).
type Status string

// Channel statuses, worst first.
const (
	StatusRxOffline    Status = "RX_OFFLINE"
	StatusAudioPeak    Status = "AUDIO_PEAK"
	StatusCritical     Status = "CRITICAL"
	StatusReplace      Status = "REPLACE"
	StatusGood         Status = "GOOD"
	StatusPrevGood     Status = "PREV_GOOD"
	StatusPrevReplace  Status = "PREV_REPLACE"
	StatusPrevCritical Status = "PREV_CRITICAL"
	StatusTxOff        Status = "TX_OFF"
	StatusUnassigned   Status = "UNASSIGNED"
)

// Timings of §3: a clip shows for 10 s; a silent transmitter shows its last
// level (striped) for 30 minutes, then counts as off.
const (
	PeakHold   = 10 * time.Second
	SilentHold = 30 * time.Minute
)

// StatusInput is everything the status of a channel depends on.
type StatusInput struct {
	Now            time.Time
	ReceiverOnline bool
	// Battery is the current reading; unknown while the transmitter is off.
	Battery Battery
	// LastBattery is the last known reading and LastHeard when it was taken.
	LastBattery Battery
	LastHeard   *time.Time
	LastPeakAt  *time.Time
	Assigned    bool
	// GreyUnassigned greys out channels with no performer, as a board option.
	GreyUnassigned bool
	// NoBattery marks a device that never reports a battery (an in-ear
	// transmitter on mains power): its silence says nothing about a pack.
	NoBattery bool
}

// Health is a channel's health: the status the board shows and the status
// beneath a clip's pulse, which decides colour and attention.
type Health struct {
	Status Status
	// Base is Status without AUDIO_PEAK: a clip is a pulse over the colour
	// the battery gives, and a clipping channel with a flat pack still needs
	// a battery.
	Base Status
}

// NeedsAttention reports a channel an operator must act on.
func (h Health) NeedsAttention() bool { return h.Base.NeedsAttention() }

// DeriveHealth computes a channel's health the same way for every vendor.
// An offline receiver wins over everything; a recent clip over the battery;
// a channel the board greys out shows UNASSIGNED whatever its battery.
func DeriveHealth(in StatusInput) Health {
	if !in.ReceiverOnline {
		return Health{StatusRxOffline, StatusRxOffline}
	}
	base := baseStatus(in)
	if in.LastPeakAt != nil && in.Now.Sub(*in.LastPeakAt) < PeakHold {
		return Health{StatusAudioPeak, base}
	}
	return Health{base, base}
}

// DeriveStatus is DeriveHealth's shown status.
func DeriveStatus(in StatusInput) Status { return DeriveHealth(in).Status }

func baseStatus(in StatusInput) Status {
	if in.GreyUnassigned && !in.Assigned {
		return StatusUnassigned
	}
	if in.NoBattery {
		return StatusGood
	}
	if lvl := in.Battery.Level(); lvl != "" {
		return lvl
	}
	if in.LastHeard != nil && in.Now.Sub(*in.LastHeard) < SilentHold {
		switch in.LastBattery.Level() {
		case StatusCritical:
			return StatusPrevCritical
		case StatusReplace:
			return StatusPrevReplace
		case StatusGood:
			return StatusPrevGood
		}
	}
	return StatusTxOff
}

// Colour is the conventional colour of a status; AUDIO_PEAK has none of its
// own (it is a pulse over the battery colour).
func (s Status) Colour() string {
	switch s {
	case StatusGood:
		return "#69B578"
	case StatusPrevGood, StatusPrevReplace, StatusPrevCritical:
		return "#006494"
	case StatusReplace:
		return "#EF9D51"
	case StatusCritical:
		return "#DC493A"
	case StatusRxOffline:
		return "#845A6D"
	}
	return "#262626"
}

// Striped reports the PREV_* statuses, drawn striped.
func (s Status) Striped() bool {
	return s == StatusPrevGood || s == StatusPrevReplace || s == StatusPrevCritical
}

// NeedsAttention reports statuses an operator must act on.
func (s Status) NeedsAttention() bool {
	return s == StatusCritical || s == StatusReplace || s == StatusRxOffline || s == StatusPrevCritical
}
