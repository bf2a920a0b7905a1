package web

import (
	"strings"
	"time"

	"micboard/app/live"
	"micboard/app/model"
)

// The API's JSON shapes: what a client sees of each model, with stable
// snake_case names, never the bun models themselves.

type apiReceiverJSON struct {
	ID         int64              `json:"id"`
	Name       string             `json:"name"`
	Vendor     string             `json:"vendor"`
	Model      string             `json:"model"`
	Type       string             `json:"type"`
	Host       string             `json:"host"`
	Port       int                `json:"port"`
	Serial     string             `json:"serial"`
	MAC        string             `json:"mac"`
	Firmware   string             `json:"firmware"`
	RFBand     string             `json:"rf_band"`
	LocationID *int64             `json:"location_id"`
	Active     bool               `json:"active"`
	Online     bool               `json:"online"`
	Status     string             `json:"status"`
	LastSeenAt *time.Time         `json:"last_seen_at"`
	CreatedAt  time.Time          `json:"created_at"`
	UpdatedAt  time.Time          `json:"updated_at"`
	Channels   []apiChannelJSON   `json:"channels,omitempty"`
	Connection *apiConnectionJSON `json:"connection,omitempty"`
}

func receiverJSON(rx *model.Receiver) apiReceiverJSON {
	out := apiReceiverJSON{
		ID: rx.ID, Name: rx.Name, Model: rx.Model, Type: string(rx.DeviceType), Host: rx.Host, Port: rx.Port,
		Serial: rx.Serial, MAC: rx.MAC, Firmware: rx.Firmware, RFBand: rx.RFBand, LocationID: rx.LocationID,
		Active: rx.Active, Online: rx.Online, Status: string(rx.Status), LastSeenAt: rx.LastSeenAt,
		CreatedAt: rx.CreatedAt, UpdatedAt: rx.UpdatedAt,
	}
	if rx.Manufacturer != nil {
		out.Vendor = rx.Manufacturer.Code
	}
	for _, ch := range rx.Channels {
		out.Channels = append(out.Channels, channelJSON(ch))
	}
	if rx.Connection != nil {
		c := connectionJSON(rx.Connection)
		out.Connection = &c
	}
	return out
}

type apiChannelJSON struct {
	ID           int64               `json:"id"`
	ReceiverID   int64               `json:"receiver_id"`
	Number       int                 `json:"number"`
	Name         string              `json:"name"`
	DeviceName   string              `json:"device_name"`
	FrequencyKHz *int                `json:"frequency_khz"`
	UpdatedAt    time.Time           `json:"updated_at"`
	Transmitter  *apiTransmitterJSON `json:"transmitter,omitempty"`
}

func channelJSON(ch *model.Channel) apiChannelJSON {
	out := apiChannelJSON{ID: ch.ID, ReceiverID: ch.ReceiverID, Number: ch.Number, Name: ch.DisplayName(),
		DeviceName: ch.Name, FrequencyKHz: ch.FrequencyKHz, UpdatedAt: ch.UpdatedAt}
	if ch.Transmitter != nil {
		tx := transmitterJSON(ch.Transmitter)
		out.Transmitter = &tx
	}
	return out
}

type apiTransmitterJSON struct {
	ID             int64      `json:"id"`
	ChannelID      int64      `json:"channel_id"`
	Model          string     `json:"model"`
	BatteryBars    *int       `json:"battery_bars"`
	BatteryPercent *int       `json:"battery_percent"`
	BatteryMinutes *int       `json:"battery_minutes"`
	BatteryType    string     `json:"battery_type"`
	BatteryLevel   string     `json:"battery_level"`
	RFLevelDBm     *float64   `json:"rf_level_dbm"`
	Antenna        string     `json:"antenna"`
	AudioLevelDBFS *float64   `json:"audio_level_dbfs"`
	Quality        *int       `json:"quality"`
	Muted          bool       `json:"muted"`
	Status         string     `json:"status"`
	LastSeenAt     *time.Time `json:"last_seen_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func transmitterJSON(tx *model.Transmitter) apiTransmitterJSON {
	b := model.Battery{Bars: tx.BatteryBars, Percent: tx.BatteryPercent, Minutes: tx.BatteryMinutes}
	return apiTransmitterJSON{
		ID: tx.ID, ChannelID: tx.ChannelID, Model: tx.Model, BatteryBars: tx.BatteryBars,
		BatteryPercent: tx.BatteryPercent, BatteryMinutes: tx.BatteryMinutes, BatteryType: tx.BatteryType,
		BatteryLevel: strings.ToLower(string(b.Level())), RFLevelDBm: tx.RFLevelDBm, Antenna: tx.Antenna,
		AudioLevelDBFS: tx.AudioLevelDBFS, Quality: tx.Quality, Muted: tx.Muted, Status: tx.Status,
		LastSeenAt: tx.LastSeenAt, UpdatedAt: tx.UpdatedAt,
	}
}

type apiAlertsJSON struct {
	BatteryLow    bool `json:"battery_low"`
	SignalLoss    bool `json:"signal_loss"`
	AudioLow      bool `json:"audio_low"`
	DeviceOffline bool `json:"device_offline"`
}

func (a apiAlertsJSON) flags() model.AlertFlags {
	return model.AlertFlags{BatteryLow: a.BatteryLow, SignalLoss: a.SignalLoss, AudioLow: a.AudioLow, DeviceOffline: a.DeviceOffline}
}

// apiAlertLimitsJSON is an assignment's alert_limits: null is the default.
// In a body, only the limits sent change (UnmarshalJSON).
type apiAlertLimitsJSON struct {
	BatteryLowPercent      *int     `json:"battery_low_percent"`
	BatteryCriticalPercent *int     `json:"battery_critical_percent"`
	BatteryLowMinutes      *int     `json:"battery_low_minutes"`
	BatteryCriticalMinutes *int     `json:"battery_critical_minutes"`
	RFLossSeconds          *int     `json:"rf_loss_seconds"`
	AudioLowDBFS           *float64 `json:"audio_low_dbfs"`

	sent []string // the limits a body named
}

type apiAssignmentJSON struct {
	ID          int64              `json:"id"`
	PerformerID int64              `json:"performer_id"`
	ChannelID   int64              `json:"channel_id"`
	Priority    string             `json:"priority"`
	Notes       string             `json:"notes"`
	Active      bool               `json:"active"`
	Alerts      apiAlertsJSON      `json:"alerts"`
	AlertLimits apiAlertLimitsJSON `json:"alert_limits"`
	CreatedAt   time.Time          `json:"created_at"`
	UpdatedAt   time.Time          `json:"updated_at"`
}

func assignmentJSON(a *model.Assignment) apiAssignmentJSON {
	f := a.AlertFlags
	return apiAssignmentJSON{
		ID: a.ID, PerformerID: a.PerformerID, ChannelID: a.ChannelID, Priority: string(a.Priority), Notes: a.Notes,
		Active: a.Active, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		Alerts:      apiAlertsJSON{BatteryLow: f.BatteryLow, SignalLoss: f.SignalLoss, AudioLow: f.AudioLow, DeviceOffline: f.DeviceOffline},
		AlertLimits: alertLimitsJSON(a.AlertLimits),
	}
}

type apiPerformerJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Notes     string    `json:"notes"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func performerJSON(p *model.Performer) apiPerformerJSON {
	return apiPerformerJSON{ID: p.ID, Name: p.Name, Role: p.Role, Notes: p.Notes, Active: p.Active,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

type apiLocationJSON struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	ParentID    *int64    `json:"parent_id"`
	Description string    `json:"description"`
	Active      bool      `json:"active"`
	DeviceCount *int      `json:"device_count,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func locationJSON(l *model.Location) apiLocationJSON {
	return apiLocationJSON{ID: l.ID, Name: l.Name, ParentID: l.ParentID, Description: l.Description,
		Active: l.Active, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}
}

type apiConnectionJSON struct {
	ID                int64      `json:"id"`
	ReceiverID        int64      `json:"receiver_id"`
	ReceiverName      string     `json:"receiver_name,omitempty"`
	Status            string     `json:"status"`
	ConnectedAt       *time.Time `json:"connected_at"`
	LastMessageAt     *time.Time `json:"last_message_at"`
	DisconnectedAt    *time.Time `json:"disconnected_at"`
	ErrorMessage      string     `json:"error_message"`
	ErrorCount        int        `json:"error_count"`
	LastErrorAt       *time.Time `json:"last_error_at"`
	ReconnectAttempts int        `json:"reconnect_attempts"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

func connectionJSON(c *model.Connection) apiConnectionJSON {
	out := apiConnectionJSON{
		ID: c.ID, ReceiverID: c.ReceiverID, Status: string(c.Status), ConnectedAt: c.ConnectedAt,
		LastMessageAt: c.LastMessageAt, DisconnectedAt: c.DisconnectedAt, ErrorMessage: c.ErrorMessage,
		ErrorCount: c.ErrorCount, LastErrorAt: c.LastErrorAt, ReconnectAttempts: c.ReconnectAttempts, UpdatedAt: c.UpdatedAt,
	}
	if c.Receiver != nil {
		out.ReceiverName = c.Receiver.Name
	}
	return out
}

type apiTaskJSON struct {
	ID              int64      `json:"id"`
	Name            string     `json:"name"`
	Kind            string     `json:"kind"`
	Target          string     `json:"target"`
	ManufacturerID  *int64     `json:"manufacturer_id"`
	Enabled         bool       `json:"enabled"`
	IntervalSeconds int        `json:"interval_seconds"`
	Status          string     `json:"status"`
	LastRunAt       *time.Time `json:"last_run_at"`
	LastError       string     `json:"last_error"`
	Scanned         int        `json:"scanned"`
	Found           int        `json:"found"`
}

func taskJSON(t *model.DiscoveryTask) apiTaskJSON {
	return apiTaskJSON{ID: t.ID, Name: t.Name, Kind: string(t.Kind), Target: t.Target, ManufacturerID: t.ManufacturerID,
		Enabled: t.Enabled, IntervalSeconds: t.IntervalSeconds, Status: string(t.Status), LastRunAt: t.LastRunAt,
		LastError: t.LastError, Scanned: t.Scanned, Found: t.Found}
}

type apiFoundJSON struct {
	ID             int64     `json:"id"`
	TaskID         *int64    `json:"task_id"`
	ManufacturerID int64     `json:"manufacturer_id"`
	Host           string    `json:"host"`
	Port           int       `json:"port"`
	Model          string    `json:"model"`
	Name           string    `json:"name"`
	Channels       int       `json:"channels"`
	Serial         string    `json:"serial"`
	MAC            string    `json:"mac"`
	State          string    `json:"state"`
	ReceiverID     *int64    `json:"receiver_id"`
	FirstSeenAt    time.Time `json:"first_seen_at"`
	LastSeenAt     time.Time `json:"last_seen_at"`
}

func foundJSON(d *model.DiscoveredDevice) apiFoundJSON {
	return apiFoundJSON{ID: d.ID, TaskID: d.TaskID, ManufacturerID: d.ManufacturerID, Host: d.Host, Port: d.Port,
		Model: d.Model, Name: d.Name, Channels: d.Channels, Serial: d.Serial, MAC: d.MAC, State: string(d.State),
		ReceiverID: d.ReceiverID, FirstSeenAt: d.FirstSeenAt, LastSeenAt: d.LastSeenAt}
}

// apiTileJSON is one channel of the live board.
type apiTileJSON struct {
	ChannelID    int64  `json:"channel_id"`
	ReceiverID   int64  `json:"receiver_id"`
	Number       int    `json:"number"`
	Slot         string `json:"slot"`
	Name         string `json:"name"`
	DeviceName   string `json:"device_name"`
	Performer    string `json:"performer"`
	ReceiverName string `json:"receiver_name"`
	Vendor       string `json:"vendor"`
	Model        string `json:"model"`
	Type         string `json:"type"`
	LocationID   *int64 `json:"location_id"`
	Online       bool   `json:"receiver_online"`
	// UnwatchedSince is set while no instance watches the receiver (the
	// one holding its lease died): the channel shows its last state.
	UnwatchedSince *time.Time `json:"unwatched_since"`
	Status         string     `json:"status"`
	NeedsAttention bool       `json:"needs_attention"`
	BatteryBars    *int       `json:"battery_bars"`
	BatteryPercent *int       `json:"battery_percent"`
	BatteryMinutes *int       `json:"battery_minutes"`
	BatteryLevel   string     `json:"battery_level"`
	RFLevelDBm     []float64  `json:"rf_level_dbm"`
	AudioDBFS      *float64   `json:"audio_dbfs"`
	PeakDBFS       *float64   `json:"peak_dbfs"`
	Quality        *int       `json:"quality"`
	Muted          bool       `json:"muted"`
	FrequencyKHz   *int       `json:"frequency_khz"`
	TxModel        string     `json:"tx_model"`
	LastHeard      *time.Time `json:"last_heard"`
	Version        uint64     `json:"version"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func tileJSON(t *live.Tile) apiTileJSON {
	rf := t.RFLevelDBm
	if rf == nil {
		rf = []float64{}
	}
	return apiTileJSON{
		ChannelID: t.ChannelID, ReceiverID: t.ReceiverID, Number: t.Number, Slot: t.Slot, Name: t.Name,
		DeviceName: t.DeviceName, Performer: t.Performer, ReceiverName: t.ReceiverName, Vendor: t.Vendor,
		Model: t.Model, Type: string(t.DeviceType), LocationID: t.LocationID, Online: t.Online,
		Status: string(t.Status), NeedsAttention: t.NeedsAttention(),
		BatteryBars: t.Battery.Bars, BatteryPercent: t.Battery.Percent, BatteryMinutes: t.Battery.Minutes,
		BatteryLevel: strings.ToLower(string(t.Battery.Level())), RFLevelDBm: rf, AudioDBFS: t.AudioDBFS,
		PeakDBFS: t.PeakDBFS, Quality: t.Quality, Muted: t.Muted, FrequencyKHz: t.FrequencyKHz, TxModel: t.TxModel,
		LastHeard: t.LastHeard, Version: t.Version, UpdatedAt: t.UpdatedAt, UnwatchedSince: t.UnwatchedSince,
	}
}
