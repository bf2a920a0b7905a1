package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"micboard/app/alert"
	"micboard/app/model"
)

// limitSpec is one alert limit of the assignment forms.
type limitSpec struct {
	Name, Label, Unit string
	Decimal           bool // a number (audio), else a whole number
}

// limitSpecs are the "Alert limits" fields, in model.AlertLimitNames order.
var limitSpecs = []limitSpec{
	{model.LimitBatteryLowPercent, "Battery low at", "%", false},
	{model.LimitBatteryCriticalPercent, "Battery critical at", "%", false},
	{model.LimitBatteryLowMinutes, "Battery low at", "min left", false},
	{model.LimitBatteryCriticalMinutes, "Battery critical at", "min left", false},
	{model.LimitRFLossSeconds, "RF loss after", "s", false},
	{model.LimitAudioLowDBFS, "Audio low below", "dBFS", true},
}

// limitField is one alert limit input as the form draws it.
type limitField struct {
	limitSpec
	Value       string // as typed; "" is the default
	Placeholder string // what the default is
	Error       string
}

// LimitFields lists the form's alert limit inputs: what was typed, the
// default as placeholder (defaults, by limit name) and any message.
func (f assignmentForm) LimitFields(defaults map[string]string) []limitField {
	out := make([]limitField, len(limitSpecs))
	for i, sp := range limitSpecs {
		out[i] = limitField{limitSpec: sp, Value: f.Limits[sp.Name], Placeholder: defaults[sp.Name], Error: f.Errors[sp.Name]}
	}
	return out
}

// readLimits reads the alert limits as typed.
func readLimits(c echo.Context) map[string]string {
	out := make(map[string]string, len(limitSpecs))
	for _, sp := range limitSpecs {
		if v := strings.TrimSpace(c.FormValue(sp.Name)); v != "" {
			out[sp.Name] = truncate(v, 20)
		}
	}
	return out
}

// parseLimits turns typed limits into model.AlertLimits (blank: the
// default), with a message for each that is not a number. Their ranges are
// model.AlertLimits.Validate's to check.
func parseLimits(typed map[string]string) (model.AlertLimits, map[string]string) {
	var l model.AlertLimits
	bad := map[string]string{}
	for _, sp := range limitSpecs {
		v := strings.ReplaceAll(typed[sp.Name], "−", "-") // a typographic minus
		if v == "" {
			continue
		}
		if sp.Decimal {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				bad[sp.Name] = "a number, or blank for the default"
				continue
			}
			l.AudioLowDBFS = &x
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			bad[sp.Name] = "a whole number, or blank for the default"
			continue
		}
		l.SetWhole(sp.Name, &n)
	}
	return l, bad
}

// limitDefaults says what a blank limit means, by limit name: the board's
// battery levels (model.StatusThresholds) and the rules' RF and audio
// defaults.
func (s *Server) limitDefaults() map[string]string {
	cfg := alert.DefaultConfig()
	if s.alerts != nil && s.alerts.Engine != nil {
		cfg = s.alerts.Engine.Config()
	}
	th := model.StatusThresholds
	minutes := func(n int, level string) string {
		if n <= 0 {
			return "none (board's " + level + ")"
		}
		return fmt.Sprintf("%d min (board's %s)", n, level)
	}
	return map[string]string{
		model.LimitBatteryLowPercent:      fmt.Sprintf("%d %% (board's REPLACE)", th.LowPercent),
		model.LimitBatteryCriticalPercent: fmt.Sprintf("%d %% (board's CRITICAL)", th.CriticalPercent),
		model.LimitBatteryLowMinutes:      minutes(th.LowMinutes, "REPLACE"),
		model.LimitBatteryCriticalMinutes: minutes(th.CriticalMinutes, "CRITICAL"),
		model.LimitRFLossSeconds:          fmt.Sprintf("%g s (default)", cfg.RFLossAfter.Seconds()),
		model.LimitAudioLowDBFS:           fmt.Sprintf("%g dBFS (default)", cfg.AudioLowDBFS),
	}
}
