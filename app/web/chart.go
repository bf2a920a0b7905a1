package web

import (
	"fmt"
	"strings"
	"time"

	"micboard/app/live"
	"micboard/app/model"
)

// chart is a small inline SVG line chart of one value over the last 30
// minutes, drawn on the server (no chart library in the page).
type chart struct {
	Title  string
	Unit   string
	Line   string // SVG polyline points
	Last   string
	Min    string
	Max    string
	Colour string
	Empty  bool
}

// Chart geometry, in SVG user units.
const (
	chartW      = 300.0
	chartH      = 60.0
	chartWindow = 30 * time.Minute
)

// historyCharts draws battery, RF and audio from a channel's history.
func historyCharts(pts []live.Point, now time.Time) []chart {
	battery := func(p live.Point) (float64, bool) {
		pct, ok := model.Battery{Bars: p.BatteryBars, Percent: p.BatteryPct}.PercentLeft()
		return float64(pct), ok
	}
	rf := func(p live.Point) (float64, bool) {
		if p.RFDBm == nil {
			return 0, false
		}
		return *p.RFDBm, true
	}
	audio := func(p live.Point) (float64, bool) {
		if p.AudioDBFS == nil {
			return 0, false
		}
		return *p.AudioDBFS, true
	}
	return []chart{
		drawChart("Battery", "%", pts, now, battery, 0, 100, "#69B578"),
		drawChart("RF", "dBm", pts, now, rf, -100, -20, "#7fb4d6"),
		drawChart("Audio", "dBFS", pts, now, audio, -60, 0, "#EF9D51"),
	}
}

func drawChart(title, unit string, pts []live.Point, now time.Time, val func(live.Point) (float64, bool), lo, hi float64, colour string) chart {
	c := chart{Title: title, Unit: unit, Colour: colour, Min: fmt.Sprintf("%.0f", lo), Max: fmt.Sprintf("%.0f", hi)}
	var b strings.Builder
	start := now.Add(-chartWindow)
	n := 0
	for _, p := range pts {
		v, ok := val(p)
		if !ok || p.At.Before(start) {
			continue
		}
		x := float64(p.At.Sub(start)) / float64(chartWindow) * chartW
		y := chartH - (clamp(v, lo, hi)-lo)/(hi-lo)*chartH
		fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		c.Last = fmt.Sprintf("%.0f %s", v, unit)
		n++
	}
	c.Line = strings.TrimSpace(b.String())
	c.Empty = n == 0
	return c
}

func clamp(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }
