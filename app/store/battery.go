package store

import (
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"micboard/app/model"
)

// lowBattery selects transmitters (alias tx) whose battery grades low or
// worse under th, in SQL what model.Battery.Grade says in Go: bars convert
// with model.BarPercents and win over the device's percent, minutes count
// where a threshold names them, and a battery the device does not know
// (NULL) is never low.
func lowBattery(th model.BatteryThresholds) func(*bun.SelectQuery) *bun.SelectQuery {
	pct, mins := th.AnyLow()
	return func(s *bun.SelectQuery) *bun.SelectQuery {
		s = s.Where("(CASE WHEN tx.battery_bars IS NOT NULL THEN (?::int[])[tx.battery_bars + 1] ELSE tx.battery_percent END) <= ?",
			pgdialect.Array(model.BarPercents[:]), pct)
		if mins > 0 {
			s = s.WhereOr("tx.battery_minutes <= ?", mins)
		}
		return s
	}
}
