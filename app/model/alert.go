package model

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// AlertKind is what an alert is about.
type AlertKind string

// Alert kinds.
const (
	AlertBatteryLow      AlertKind = "battery_low"
	AlertBatteryCritical AlertKind = "battery_critical"
	AlertRFLoss          AlertKind = "rf_loss"
	AlertAudioLow        AlertKind = "audio_low"
	AlertRxOffline       AlertKind = "rx_offline"
	AlertTxOff           AlertKind = "tx_off"
)

// AlertKinds lists every kind.
var AlertKinds = []AlertKind{AlertBatteryLow, AlertBatteryCritical, AlertRFLoss, AlertAudioLow, AlertRxOffline, AlertTxOff}

// Valid reports a known kind.
func (k AlertKind) Valid() bool {
	for _, v := range AlertKinds {
		if k == v {
			return true
		}
	}
	return false
}

// Severity is the default severity of a kind.
func (k AlertKind) Severity() AlertSeverity {
	switch k {
	case AlertBatteryCritical, AlertRFLoss, AlertRxOffline:
		return SeverityCritical
	}
	return SeverityWarning
}

// AlertSeverity ranks an alert.
type AlertSeverity string

// Severities.
const (
	SeverityWarning  AlertSeverity = "warning"
	SeverityCritical AlertSeverity = "critical"
)

// AlertState is where an alert stands in its lifecycle.
type AlertState string

// Alert states: open → acknowledged → resolved (or open → resolved).
const (
	AlertOpen         AlertState = "open"
	AlertAcknowledged AlertState = "acknowledged"
	AlertResolved     AlertState = "resolved"
)

// ResolvedAuto is who resolved an alert whose condition cleared.
const ResolvedAuto = "auto"

// Alert is one raised alert with its lifecycle.
type Alert struct {
	bun.BaseModel `bun:"table:alerts,alias:al"`

	ID                 int64           `bun:"id,pk,autoincrement"`
	Kind               AlertKind       `bun:"kind,notnull"`
	Severity           AlertSeverity   `bun:"severity,notnull"`
	State              AlertState      `bun:"state,notnull"`
	ChannelID          *int64          `bun:"channel_id"`
	ReceiverID         *int64          `bun:"receiver_id"`
	Slot               string          `bun:"slot,notnull"`
	ChannelName        string          `bun:"channel_name,notnull"`
	Performer          string          `bun:"performer,notnull"`
	ReceiverName       string          `bun:"receiver_name,notnull"`
	Message            string          `bun:"message,notnull"`
	Value              json.RawMessage `bun:"value,type:jsonb,notnull"`
	OpenedAt           time.Time       `bun:"opened_at,notnull"`
	AcknowledgedAt     *time.Time      `bun:"acknowledged_at"`
	AcknowledgedBy     *int64          `bun:"acknowledged_by"`
	AcknowledgedByName string          `bun:"acknowledged_by_name,notnull"`
	ResolvedAt         *time.Time      `bun:"resolved_at"`
	ResolvedBy         string          `bun:"resolved_by,notnull"`
}

// AlertEvent names a step of an alert's lifecycle, as deliveries carry it.
type AlertEvent string

// Alert events.
const (
	EventOpened       AlertEvent = "opened"
	EventAcknowledged AlertEvent = "acknowledged"
	EventResolved     AlertEvent = "resolved"
	// EventEscalated is a critical alert sent on to the next contact because
	// nobody acknowledged it; it is recorded, not broadcast.
	EventEscalated AlertEvent = "escalated"
)

// AlertDelivery records one attempt to deliver an alert event.
type AlertDelivery struct {
	bun.BaseModel `bun:"table:alert_deliveries,alias:ad"`

	ID      int64      `bun:"id,pk,autoincrement"`
	AlertID int64      `bun:"alert_id,notnull"`
	Event   AlertEvent `bun:"event,notnull"`
	Sink    string     `bun:"sink,notnull"`
	Target  string     `bun:"target,notnull"`
	Attempt int        `bun:"attempt,notnull"`
	OK      bool       `bun:"ok,notnull"`
	Detail  string     `bun:"detail,notnull"`
	At      time.Time  `bun:"at,notnull,default:current_timestamp"`
}

// Webhook is an HTTP endpoint that receives alert events, signed with its
// secret.
type Webhook struct {
	bun.BaseModel `bun:"table:webhooks,alias:wh"`

	ID        int64       `bun:"id,pk,autoincrement"`
	URL       string      `bun:"url,notnull"`
	Secret    string      `bun:"secret,notnull"`
	Kinds     []AlertKind `bun:"kinds,array,notnull"`
	Active    bool        `bun:"active,notnull"`
	CreatedAt time.Time   `bun:"created_at,notnull,default:current_timestamp"`
	UpdatedAt time.Time   `bun:"updated_at,notnull,default:current_timestamp"`
}

// Wants reports whether the webhook takes alerts of kind k (no kinds: all).
func (w *Webhook) Wants(k AlertKind) bool {
	if len(w.Kinds) == 0 {
		return true
	}
	for _, v := range w.Kinds {
		if v == k {
			return true
		}
	}
	return false
}

// AlertSubscription is a user who wants alerts by e-mail.
type AlertSubscription struct {
	bun.BaseModel `bun:"table:alert_subscriptions,alias:asub"`

	UserID  int64  `bun:"user_id,pk"`
	Email   string `bun:"email,notnull"`
	Enabled bool   `bun:"enabled,notnull"`
	// QuietFrom and QuietTo are the user's quiet hours in minutes after
	// midnight (nil: none), in TimeZone ("": the instance's zone).
	QuietFrom *int   `bun:"quiet_from"`
	QuietTo   *int   `bun:"quiet_to"`
	TimeZone  string `bun:"time_zone,notnull"`
	// EscalationRank places the user in the order critical alerts nobody
	// acknowledges go to (1 first; nil: not a contact).
	EscalationRank *int      `bun:"escalation_rank"`
	UpdatedAt      time.Time `bun:"updated_at,notnull,default:current_timestamp"`
}

// AlertLimits are an assignment's own alert limits; nil takes the default.
// The battery limits replace the board's levels (StatusThresholds) field by
// field for this assignment's battery alerts only: the tile keeps the
// board's colour, so a performer who wants a warning at 80 % gets one while
// the tile still shows GOOD. RF loss and audio low replace the rules'
// defaults.
type AlertLimits struct {
	BatteryLowPercent      *int     `bun:"battery_low_percent"`
	BatteryCriticalPercent *int     `bun:"battery_critical_percent"`
	BatteryLowMinutes      *int     `bun:"battery_low_minutes"`
	BatteryCriticalMinutes *int     `bun:"battery_critical_minutes"`
	RFLossSeconds          *int     `bun:"rf_loss_seconds"`
	AudioLowDBFS           *float64 `bun:"audio_low_dbfs"`
}

// The alert limits' names, as the database, the console and the API call
// them.
const (
	LimitBatteryLowPercent      = "battery_low_percent"
	LimitBatteryCriticalPercent = "battery_critical_percent"
	LimitBatteryLowMinutes      = "battery_low_minutes"
	LimitBatteryCriticalMinutes = "battery_critical_minutes"
	LimitRFLossSeconds          = "rf_loss_seconds"
	LimitAudioLowDBFS           = "audio_low_dbfs"
)

// AlertLimitNames lists every limit, in the order forms show them.
var AlertLimitNames = []string{
	LimitBatteryLowPercent, LimitBatteryCriticalPercent, LimitBatteryLowMinutes,
	LimitBatteryCriticalMinutes, LimitRFLossSeconds, LimitAudioLowDBFS,
}

// The ranges an alert limit may take (percents are 0–100).
const (
	MaxLimitMinutes  = 1440 // a day; 0 is "no minutes limit"
	MinRFLossSeconds = 1
	MaxRFLossSeconds = 600
	MinAudioLowDBFS  = -120
	MaxAudioLowDBFS  = 0
)

// Validate says what is wrong with the limits, by limit name (nil: nothing):
// percents 0–100, minutes 0–1440, RF loss 1–600 s, audio low -120–0 dBFS,
// and a critical limit no higher than the low one where both are set.
func (l AlertLimits) Validate() map[string]string {
	bad := map[string]string{}
	within := func(name string, v *int, lo, hi int, unit string) {
		if v != nil && (*v < lo || *v > hi) {
			bad[name] = fmt.Sprintf("%s from %d to %d", unit, lo, hi)
		}
	}
	within(LimitBatteryLowPercent, l.BatteryLowPercent, 0, 100, "a percent")
	within(LimitBatteryCriticalPercent, l.BatteryCriticalPercent, 0, 100, "a percent")
	within(LimitBatteryLowMinutes, l.BatteryLowMinutes, 0, MaxLimitMinutes, "minutes")
	within(LimitBatteryCriticalMinutes, l.BatteryCriticalMinutes, 0, MaxLimitMinutes, "minutes")
	within(LimitRFLossSeconds, l.RFLossSeconds, MinRFLossSeconds, MaxRFLossSeconds, "seconds")
	if v := l.AudioLowDBFS; v != nil && !(*v >= MinAudioLowDBFS && *v <= MaxAudioLowDBFS) { // NaN too
		bad[LimitAudioLowDBFS] = fmt.Sprintf("dBFS from %d to %d", MinAudioLowDBFS, MaxAudioLowDBFS)
	}
	notAbove := func(name string, crit, low *int, unit string) {
		if _, seen := bad[name]; !seen && crit != nil && low != nil && *crit > *low {
			bad[name] = fmt.Sprintf("at most the low limit (%d%s)", *low, unit)
		}
	}
	notAbove(LimitBatteryCriticalPercent, l.BatteryCriticalPercent, l.BatteryLowPercent, " %")
	notAbove(LimitBatteryCriticalMinutes, l.BatteryCriticalMinutes, l.BatteryLowMinutes, " min")
	if len(bad) == 0 {
		return nil
	}
	return bad
}

// Battery returns base with each battery limit that is set in its place:
// the thresholds this assignment's battery alerts are graded by.
func (l AlertLimits) Battery(base BatteryThresholds) BatteryThresholds {
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&base.LowPercent, l.BatteryLowPercent)
	set(&base.CriticalPercent, l.BatteryCriticalPercent)
	set(&base.LowMinutes, l.BatteryLowMinutes)
	set(&base.CriticalMinutes, l.BatteryCriticalMinutes)
	return base
}

// With returns l with the limits named taken from o (nil in o: back to the
// default); unknown names are ignored.
func (l AlertLimits) With(o AlertLimits, names ...string) AlertLimits {
	for _, n := range names {
		if n == LimitAudioLowDBFS {
			l.AudioLowDBFS = o.AudioLowDBFS
		} else if dst := l.whole(n); dst != nil {
			*dst = *o.whole(n)
		}
	}
	return l
}

// SetWhole sets the whole-number limit name to n (nil: the default); the
// audio limit and unknown names are left alone.
func (l *AlertLimits) SetWhole(name string, n *int) {
	if dst := l.whole(name); dst != nil {
		*dst = n
	}
}

// Typed returns each limit that is set, by name, as a person types it.
func (l AlertLimits) Typed() map[string]string {
	out := map[string]string{}
	for _, name := range AlertLimitNames {
		if name == LimitAudioLowDBFS {
			if l.AudioLowDBFS != nil {
				out[name] = TypedDBFS(*l.AudioLowDBFS)
			}
		} else if v := *l.whole(name); v != nil {
			out[name] = strconv.Itoa(*v)
		}
	}
	return out
}

// TypedDBFS shows a stored audio limit as it was typed: the column is a
// real, so -40.3 comes back as -40.29999923706055.
func TypedDBFS(v float64) string { return strconv.FormatFloat(v, 'f', -1, 32) }

// whole is the field of the whole-number limit name, nil for any other.
func (l *AlertLimits) whole(name string) **int {
	switch name {
	case LimitBatteryLowPercent:
		return &l.BatteryLowPercent
	case LimitBatteryCriticalPercent:
		return &l.BatteryCriticalPercent
	case LimitBatteryLowMinutes:
		return &l.BatteryLowMinutes
	case LimitBatteryCriticalMinutes:
		return &l.BatteryCriticalMinutes
	case LimitRFLossSeconds:
		return &l.RFLossSeconds
	}
	return nil
}

// PerformerLink is a performer's secret "my packs" link; only the token's
// hash is stored.
type PerformerLink struct {
	bun.BaseModel `bun:"table:performer_links,alias:pl"`

	ID          int64      `bun:"id,pk,autoincrement"`
	PerformerID int64      `bun:"performer_id,notnull"`
	TokenHash   []byte     `bun:"token_hash,notnull"`
	RevokedAt   *time.Time `bun:"revoked_at"`
	LastSeenAt  *time.Time `bun:"last_seen_at"`
	CreatedAt   time.Time  `bun:"created_at,notnull,default:current_timestamp"`

	Performer *Performer `bun:"rel:belongs-to,join:performer_id=id"`
}
