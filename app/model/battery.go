package model

// Battery is a battery reading; nil fields are unknown.
type Battery struct {
	Bars    *int
	Percent *int
	Minutes *int
}

// Known reports whether any battery figure is known.
func (b Battery) Known() bool { return b.Bars != nil || b.Percent != nil || b.Minutes != nil }

// BarPercents is the charge n bars stand for: the top of the band that
// PROTOCOLS.md §3 grades (2 bars is ≤ 25 % and critical, 3 bars ≤ 50 % and
// replace). The tile, the store's queries, the charts and the alert rules
// all convert bars with this one table.
var BarPercents = [6]int{0, 10, 25, 50, 75, 100}

// PercentLeft is the charge in percent: from the bars where the device gives
// bars (PROTOCOLS.md §3 grades by them first), else the device's percent.
func (b Battery) PercentLeft() (int, bool) {
	if b.Bars != nil {
		n := min(max(*b.Bars, 0), len(BarPercents)-1)
		return BarPercents[n], true
	}
	if b.Percent != nil {
		return *b.Percent, true
	}
	return 0, false
}

// BarsLeft is the bars to light: the device's own, else the band its percent
// falls in (the inverse of BarPercents), so a pack at 60 % never lights the
// three bars that mean "replace".
func (b Battery) BarsLeft() (int, bool) {
	if b.Bars != nil {
		return *b.Bars, true
	}
	if b.Percent == nil {
		return 0, false
	}
	for n, top := range BarPercents {
		if *b.Percent <= top {
			return n, true
		}
	}
	return len(BarPercents) - 1, true
}

// BatteryThresholds grade a battery. A percent threshold applies to
// PercentLeft; a minutes threshold to the runtime left where the device
// reports one, and 0 means none.
type BatteryThresholds struct {
	LowPercent      int
	CriticalPercent int
	LowMinutes      int
	CriticalMinutes int
}

// StatusThresholds are the one set of battery levels (PROTOCOLS.md §3):
// ≤ 25 % or ≤ 30 min is CRITICAL, ≤ 50 % REPLACE. The board, its counts and
// filters, the store's queries, the phone view and the alert rules all grade
// with these, so a tile and its alert never disagree, unless an assignment
// sets battery limits of its own (AlertLimits.Battery): those change its
// alerts, never the tile.
var StatusThresholds = BatteryThresholds{LowPercent: 50, CriticalPercent: 25, CriticalMinutes: 30}

// LowAt is a percent threshold alone: "at or below percent".
func LowAt(percent int) BatteryThresholds { return BatteryThresholds{LowPercent: percent} }

// AnyLow returns the loosest percent and minutes that grade at least low
// (minutes 0: none), for queries that select what Grade calls low or worse.
func (th BatteryThresholds) AnyLow() (percent, minutes int) {
	return max(th.LowPercent, th.CriticalPercent), max(th.LowMinutes, th.CriticalMinutes)
}

// Grade is how a battery stands against thresholds.
type Grade int

// Grades, best first; GradeUnknown when the device gives no figure.
const (
	GradeUnknown Grade = iota
	GradeGood
	GradeLow
	GradeCritical
)

func (g Grade) String() string {
	switch g {
	case GradeGood:
		return "good"
	case GradeLow:
		return "low"
	case GradeCritical:
		return "critical"
	}
	return "unknown"
}

// Grade grades the battery. A device may give several figures: a charge
// (bars, else percent — PercentLeft) and a runtime in minutes. They are
// estimates by different methods and can disagree (an SB900 at 20 % with a
// light draw still runs 120 min; a pack at 80 % on full RF power may have
// 20 min), so the worst figure wins: critical when either is at or below
// its critical threshold, low likewise, else good. A false "critical" costs
// a battery swap; a missed one costs a voice in the middle of a scene. It
// also keeps a tile's colour from contradicting the bars it lights.
func (b Battery) Grade(th BatteryThresholds) Grade {
	pct, havePct := b.PercentLeft()
	if !havePct && b.Minutes == nil {
		return GradeUnknown
	}
	atMost := func(v *int, limit int) bool { return v != nil && limit > 0 && *v <= limit }
	switch {
	case havePct && pct <= th.CriticalPercent, atMost(b.Minutes, th.CriticalMinutes):
		return GradeCritical
	case havePct && pct <= th.LowPercent, atMost(b.Minutes, th.LowMinutes):
		return GradeLow
	}
	return GradeGood
}

// Level is THE battery level of a known battery: CRITICAL, REPLACE or GOOD
// under StatusThresholds, "" when nothing is known. Tiles, counts, filters,
// the phone view and, by default, the alert rules (AlertKind) all take it
// from here.
func (b Battery) Level() Status {
	switch b.Grade(StatusThresholds) {
	case GradeCritical:
		return StatusCritical
	case GradeLow:
		return StatusReplace
	case GradeGood:
		return StatusGood
	}
	return ""
}

// AlertKind is the battery alert a reading calls for under the board's
// levels: CRITICAL is battery_critical, REPLACE battery_low; "" for a good
// or unknown one. An assignment with limits of its own grades with those
// (AlertLimits.Battery) and takes Grade.AlertKind.
func (b Battery) AlertKind() AlertKind { return b.Grade(StatusThresholds).AlertKind() }

// AlertKind is the battery alert a grade calls for: critical is
// battery_critical, low battery_low, "" otherwise.
func (g Grade) AlertKind() AlertKind {
	switch g {
	case GradeCritical:
		return AlertBatteryCritical
	case GradeLow:
		return AlertBatteryLow
	}
	return ""
}
