package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"micboard/app/alert"
	"micboard/app/model"
	"micboard/app/service"
)

// apiAlertLimitsDoc says what alert_limits takes, for the OpenAPI document.
var apiAlertLimitsDoc = fmt.Sprintf("alert_limits sets the assignment's own limits: battery_low_percent and "+
	"battery_critical_percent 0–100, battery_low_minutes and battery_critical_minutes 0–%d (0: none), "+
	"rf_loss_seconds %d–%d, audio_low_dbfs %d–%d, a critical limit no higher than the low one; null takes the "+
	"default (the board's battery levels, RF loss after %g s, audio low below %g dBFS); a bad one is a 400 "+
	"naming alert_limits.<limit>",
	model.MaxLimitMinutes, model.MinRFLossSeconds, model.MaxRFLossSeconds, model.MinAudioLowDBFS, model.MaxAudioLowDBFS,
	alert.DefaultConfig().RFLossAfter.Seconds(), alert.DefaultConfig().AudioLowDBFS)

// UnmarshalJSON reads an alert_limits object strictly, remembering which
// limits were sent (null among them), so a PATCH changes only those. A
// limit it does not know, or one that is not a number, is a 400 naming
// alert_limits.<limit>.
func (l *apiAlertLimitsJSON) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		return badField("alert_limits", "must be an object of limits, or null")
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	*l = apiAlertLimitsJSON{}
	for _, name := range names {
		v, field := raw[name], "alert_limits."+truncate(name, maxEchoedInput)
		switch {
		case !slices.Contains(model.AlertLimitNames, name):
			return badField(field, "no such limit")
		case string(v) == "null":
			l.set(name, nil, nil)
		case name == model.LimitAudioLowDBFS:
			var x float64
			if err := json.Unmarshal(v, &x); err != nil {
				return badField(field, "must be a number or null")
			}
			l.set(name, nil, &x)
		default:
			var n int
			if err := json.Unmarshal(v, &n); err != nil {
				return badField(field, "must be a whole number or null")
			}
			l.set(name, &n, nil)
		}
	}
	return nil
}

// set sets the limit name (n for a whole number, x for audio) and records
// it as sent.
func (l *apiAlertLimitsJSON) set(name string, n *int, x *float64) {
	switch name {
	case model.LimitBatteryLowPercent:
		l.BatteryLowPercent = n
	case model.LimitBatteryCriticalPercent:
		l.BatteryCriticalPercent = n
	case model.LimitBatteryLowMinutes:
		l.BatteryLowMinutes = n
	case model.LimitBatteryCriticalMinutes:
		l.BatteryCriticalMinutes = n
	case model.LimitRFLossSeconds:
		l.RFLossSeconds = n
	case model.LimitAudioLowDBFS:
		l.AudioLowDBFS = x
	}
	l.sent = append(l.sent, name)
}

func (l apiAlertLimitsJSON) limits() model.AlertLimits {
	return model.AlertLimits{
		BatteryLowPercent: l.BatteryLowPercent, BatteryCriticalPercent: l.BatteryCriticalPercent,
		BatteryLowMinutes: l.BatteryLowMinutes, BatteryCriticalMinutes: l.BatteryCriticalMinutes,
		RFLossSeconds: l.RFLossSeconds, AudioLowDBFS: l.AudioLowDBFS,
	}
}

func alertLimitsJSON(l model.AlertLimits) apiAlertLimitsJSON {
	out := apiAlertLimitsJSON{
		BatteryLowPercent: l.BatteryLowPercent, BatteryCriticalPercent: l.BatteryCriticalPercent,
		BatteryLowMinutes: l.BatteryLowMinutes, BatteryCriticalMinutes: l.BatteryCriticalMinutes,
		RFLossSeconds: l.RFLossSeconds,
	}
	if l.AudioLowDBFS != nil {
		// The column is a real: -40.3 is read back as -40.29999923706055.
		x, _ := strconv.ParseFloat(model.TypedDBFS(*l.AudioLowDBFS), 64)
		out.AudioLowDBFS = &x
	}
	return out
}

// apiAssignmentError names the field of a refused assignment as the API
// does: a bad alert limit is a 400 on alert_limits.<limit> (the first, in
// the document's order), other fields as apiFieldNames renames them.
func apiAssignmentError(err error) error {
	var ve *service.ValidationError
	if errors.As(err, &ve) {
		for _, name := range model.AlertLimitNames {
			if msg, ok := ve.Fields[name]; ok {
				return badField("alert_limits."+name, "%s", msg)
			}
		}
	}
	return apiFieldNames(err, assignmentFields)
}
