package model

import "fmt"

// Reason says in words which reading gave a channel its health, for the
// channel panel: "2 of 5 bars — critical at 2 bars or fewer; runtime 3 h
// 24 m reported". It reads the same figures and thresholds as DeriveHealth
// and Battery.Level, so the words cannot disagree with the colour.
func Reason(in StatusInput, h Health) string {
	var why string
	switch h.Base {
	case StatusRxOffline:
		return "The receiver does not answer."
	case StatusUnassigned:
		why = "No performer is assigned, and this board greys out unassigned channels."
	case StatusTxOff:
		why = "The transmitter is off or out of range: the receiver reports no battery."
	case StatusPrevGood, StatusPrevReplace, StatusPrevCritical:
		why = "The transmitter is silent; its last reading: " + BatteryReason(in.LastBattery) + "."
	default:
		if in.NoBattery {
			why = "This device runs on mains power and reports no battery."
		} else {
			why = BatteryReason(in.Battery) + "."
		}
	}
	if h.Status == StatusAudioPeak {
		why += " The audio clipped in the last 10 s."
	}
	return why
}

// BatteryReason names the battery's figures and the threshold the deciding
// one stands against (StatusThresholds: the worst figure wins).
func BatteryReason(b Battery) string {
	th := StatusThresholds
	pct, havePct := b.PercentLeft()
	level := b.Level()
	var charge, minutes string
	if b.Bars != nil {
		charge = fmt.Sprintf("%d of %d bars", *b.Bars, len(BarPercents)-1)
	} else if b.Percent != nil {
		charge = fmt.Sprintf("%d %%", *b.Percent)
	}
	if b.Minutes != nil {
		minutes = "runtime " + runtimeText(*b.Minutes) + " reported"
	}
	if charge == "" && minutes == "" {
		return "no battery figure yet"
	}
	// The threshold the charge is read against, in the device's own unit.
	limit := func(percent int) string {
		if b.Bars != nil {
			return fmt.Sprintf("%d bars or fewer", barsAtMost(percent))
		}
		return fmt.Sprintf("%d %% or less", percent)
	}
	atMost := func(v *int, l int) bool { return v != nil && l > 0 && *v <= l }
	var rule string
	switch level {
	case StatusCritical:
		if havePct && pct <= th.CriticalPercent {
			charge += " — critical at " + limit(th.CriticalPercent)
		} else if atMost(b.Minutes, th.CriticalMinutes) {
			minutes += fmt.Sprintf(" — critical at %d min or less", th.CriticalMinutes)
		}
	case StatusReplace:
		if havePct && pct <= th.LowPercent {
			charge += " — replace at " + limit(th.LowPercent)
		} else if atMost(b.Minutes, th.LowMinutes) {
			minutes += fmt.Sprintf(" — replace at %d min or less", th.LowMinutes)
		}
	case StatusGood:
		if b.Bars != nil {
			rule = fmt.Sprintf("good above %d bars", barsAtMost(th.LowPercent))
		} else if havePct {
			rule = fmt.Sprintf("good above %d %%", th.LowPercent)
		}
		if th.CriticalMinutes > 0 && b.Minutes != nil {
			if rule == "" {
				rule = "good"
			} else {
				rule += " and"
			}
			rule += fmt.Sprintf(" above %d min", th.CriticalMinutes)
		}
	}
	out := charge
	if minutes != "" {
		if out != "" {
			out += "; "
		}
		out += minutes
	}
	if rule != "" {
		out += " — " + rule
	}
	return out
}

// barsAtMost is the most bars whose charge is at or below percent.
func barsAtMost(percent int) int {
	n := 0
	for i, top := range BarPercents {
		if top <= percent {
			n = i
		}
	}
	return n
}

// runtimeText writes minutes as "3 h 24 m" or "24 min".
func runtimeText(m int) string {
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %02d m", m/60, m%60)
}
