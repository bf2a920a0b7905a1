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

// Battery is a battery reading; nil fields are unknown.
type Battery struct {
	Bars    *int
	Percent *int
	Minutes *int
}

// Known reports whether any battery figure is known.
func (b Battery) Known() bool { return b.Bars != nil || b.Percent != nil || b.Minutes != nil }

// Level grades a known battery: by bars when the device gives bars (0–2
// CRITICAL, 3 REPLACE, 4–5 GOOD), else by percent (≤ 25 CRITICAL, ≤ 50
// REPLACE) and minutes (≤ 30 CRITICAL). It returns "" when nothing is known.
func (b Battery) Level() Status {
	switch {
	case b.Bars != nil:
		switch {
		case *b.Bars <= 2:
			return StatusCritical
		case *b.Bars == 3:
			return StatusReplace
		}
		return StatusGood
	case b.Percent != nil || b.Minutes != nil:
		if (b.Percent != nil && *b.Percent <= 25) || (b.Minutes != nil && *b.Minutes <= 30) {
			return StatusCritical
		}
		if b.Percent != nil && *b.Percent <= 50 {
			return StatusReplace
		}
		return StatusGood
	}
	return ""
}

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
}

// DeriveStatus computes a channel's status the same way for every vendor.
// An offline receiver wins over everything; a recent clip over the battery;
// a channel the board greys out shows UNASSIGNED whatever its battery.
func DeriveStatus(in StatusInput) Status {
	if !in.ReceiverOnline {
		return StatusRxOffline
	}
	if in.LastPeakAt != nil && in.Now.Sub(*in.LastPeakAt) < PeakHold {
		return StatusAudioPeak
	}
	if in.GreyUnassigned && !in.Assigned {
		return StatusUnassigned
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
