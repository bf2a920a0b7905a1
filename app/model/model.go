// Package model holds Micboard's bun models and domain types, plus pure
// functions over them. It imports nothing of Micboard's own.
package model

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// Manufacturer is a device vendor Micboard has a driver for.
type Manufacturer struct {
	bun.BaseModel `bun:"table:manufacturers,alias:mf"`

	ID        int64           `bun:"id,pk,autoincrement"`
	Code      string          `bun:"code,notnull"`
	Name      string          `bun:"name,notnull"`
	Active    bool            `bun:"active,notnull"`
	Config    json.RawMessage `bun:"config,type:jsonb,notnull"`
	CreatedAt time.Time       `bun:"created_at,notnull,default:current_timestamp"`
	UpdatedAt time.Time       `bun:"updated_at,notnull,default:current_timestamp"`
}

// Manufacturer codes the tests and fixtures name; the vendors themselves
// are the device registry's (app/device).
const (
	VendorShure      = "shure"
	VendorSennheiser = "sennheiser"
)

// Location is a place devices stand in; a parent makes building → room.
type Location struct {
	bun.BaseModel `bun:"table:locations,alias:loc"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Name        string    `bun:"name,notnull"`
	ParentID    *int64    `bun:"parent_id"`
	Description string    `bun:"description,notnull"`
	Active      bool      `bun:"active,notnull"`
	CreatedAt   time.Time `bun:"created_at,notnull,default:current_timestamp"`
	UpdatedAt   time.Time `bun:"updated_at,notnull,default:current_timestamp"`

	// DeviceCount is filled by LocationQuery.WithDeviceCounts.
	DeviceCount int `bun:"device_count,scanonly"`
}

// DeviceType is the receiver family, which decides the protocol dialect.
// The codes are the device registry's (app/device); the constants below
// name the ones tests and fixtures use.
type DeviceType string

// Device types the tests and fixtures name.
const (
	TypeULXD   DeviceType = "ulxd"
	TypeQLXD   DeviceType = "qlxd"
	TypeAXTD   DeviceType = "axtd"
	TypeSLXD   DeviceType = "slxd"
	TypeUHFR   DeviceType = "uhfr"
	TypeP10T   DeviceType = "p10t"
	TypeEWDX   DeviceType = "ewdx"
	TypeEM6000 DeviceType = "em6000"
	TypeEWG4   DeviceType = "ewg4"
)

// DeviceTypeInfo is what the rest of Micboard needs to know about a device
// type beyond its code.
type DeviceTypeInfo struct {
	Type DeviceType
	// NoBattery marks a device that never reports a battery (a PSM1000
	// P10T in-ear transmitter on mains power): its silence about one must
	// not turn its channels TX_OFF.
	NoBattery bool
}

// DeviceTypes lists every valid device type, in the registry's order. It is
// set once at start from the device registry (see SetDeviceTypes), so
// adding a family never touches this package.
var DeviceTypes []DeviceType

var noBattery = map[DeviceType]bool{}

// SetDeviceTypes installs the device registry's types. app/device/all calls
// it from init, before anything reads them; it is not for concurrent use.
func SetDeviceTypes(infos []DeviceTypeInfo) {
	DeviceTypes = make([]DeviceType, 0, len(infos))
	noBattery = make(map[DeviceType]bool, len(infos))
	for _, i := range infos {
		DeviceTypes = append(DeviceTypes, i.Type)
		if i.NoBattery {
			noBattery[i.Type] = true
		}
	}
}

// Valid reports whether t is a known device type.
func (t DeviceType) Valid() bool {
	for _, k := range DeviceTypes {
		if t == k {
			return true
		}
	}
	return false
}

// ReportsBattery reports whether channels of this type have a battery to
// report: a PSM1000 P10T is an in-ear transmitter on mains power, and its
// silence about a battery must not turn its channels TX_OFF.
func (t DeviceType) ReportsBattery() bool { return !noBattery[t] }

// Lifecycle is a receiver's lifecycle status.
type Lifecycle string

// Lifecycle states.
const (
	LifecycleDiscovered  Lifecycle = "discovered"
	LifecycleOnline      Lifecycle = "online"
	LifecycleDegraded    Lifecycle = "degraded"
	LifecycleOffline     Lifecycle = "offline"
	LifecycleMaintenance Lifecycle = "maintenance"
	LifecycleRetired     Lifecycle = "retired"
)

// Receiver is one network device with one or more channels.
type Receiver struct {
	bun.BaseModel `bun:"table:receivers,alias:rx"`

	ID             int64      `bun:"id,pk,autoincrement"`
	ManufacturerID int64      `bun:"manufacturer_id,notnull"`
	Model          string     `bun:"model,notnull"`
	DeviceType     DeviceType `bun:"device_type,notnull"`
	Host           string     `bun:"host,notnull"`
	Port           int        `bun:"port,notnull"`
	Name           string     `bun:"name,notnull"`
	Serial         string     `bun:"serial,notnull"`
	MAC            string     `bun:"mac,notnull"`
	Firmware       string     `bun:"firmware,notnull"`
	RFBand         string     `bun:"rf_band,notnull"`
	LocationID     *int64     `bun:"location_id"`
	Active         bool       `bun:"active,notnull"`
	Online         bool       `bun:"online,notnull"`
	Status         Lifecycle  `bun:"status,notnull"`
	LastSeenAt     *time.Time `bun:"last_seen_at"`
	CreatedAt      time.Time  `bun:"created_at,notnull,default:current_timestamp"`
	UpdatedAt      time.Time  `bun:"updated_at,notnull,default:current_timestamp"`

	Manufacturer *Manufacturer `bun:"rel:belongs-to,join:manufacturer_id=id"`
	Location     *Location     `bun:"rel:belongs-to,join:location_id=id"`
	Channels     []*Channel    `bun:"rel:has-many,join:id=receiver_id"`
	Connection   *Connection   `bun:"rel:has-one,join:id=receiver_id"`
}

// Channel is one audio channel of a receiver.
type Channel struct {
	bun.BaseModel `bun:"table:channels,alias:ch"`

	ID                 int64     `bun:"id,pk,autoincrement"`
	ReceiverID         int64     `bun:"receiver_id,notnull"`
	Number             int       `bun:"number,notnull"`
	Name               string    `bun:"name,notnull"`
	FrequencyKHz       *int      `bun:"frequency_khz"`
	OverrideName       string    `bun:"override_name,notnull"`
	OverrideDeviceName string    `bun:"override_device_name,notnull"`
	CreatedAt          time.Time `bun:"created_at,notnull,default:current_timestamp"`
	UpdatedAt          time.Time `bun:"updated_at,notnull,default:current_timestamp"`

	Receiver    *Receiver    `bun:"rel:belongs-to,join:receiver_id=id"`
	Transmitter *Transmitter `bun:"rel:has-one,join:id=channel_id"`
}

// DisplayName is the override while the device still reports the name the
// override was made against, else the device's own name.
func (c *Channel) DisplayName() string {
	if c.OverrideName != "" && c.OverrideDeviceName == c.Name {
		return c.OverrideName
	}
	return c.Name
}

// Transmitter is the latest known state of the pack or handheld on a channel.
// Nil pointers mean "unknown", which is never the same as zero.
type Transmitter struct {
	bun.BaseModel `bun:"table:transmitters,alias:tx"`

	ID             int64      `bun:"id,pk,autoincrement"`
	ChannelID      int64      `bun:"channel_id,notnull"`
	Model          string     `bun:"model,notnull"`
	BatteryBars    *int       `bun:"battery_bars"`
	BatteryPercent *int       `bun:"battery_percent"`
	BatteryMinutes *int       `bun:"battery_minutes"`
	BatteryType    string     `bun:"battery_type,notnull"`
	RFLevelDBm     *float64   `bun:"rf_level_dbm"`
	Antenna        string     `bun:"antenna,notnull"`
	AudioLevelDBFS *float64   `bun:"audio_level_dbfs"`
	Quality        *int       `bun:"quality"`
	TxOffsetDB     *int       `bun:"tx_offset_db"`
	Muted          bool       `bun:"muted,notnull"`
	Status         string     `bun:"status,notnull"`
	LastSeenAt     *time.Time `bun:"last_seen_at"`
	UpdatedAt      time.Time  `bun:"updated_at,notnull,default:current_timestamp"`
}

// Performer is a person who wears or holds a transmitter.
type Performer struct {
	bun.BaseModel `bun:"table:performers,alias:pf"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Name      string    `bun:"name,notnull"`
	Role      string    `bun:"role,notnull"`
	Notes     string    `bun:"notes,notnull"`
	Active    bool      `bun:"active,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull,default:current_timestamp"`
	UpdatedAt time.Time `bun:"updated_at,notnull,default:current_timestamp"`
}

// Priority ranks how urgent a performer's alerts are.
type Priority string

// Priorities, lowest first.
const (
	PriorityLow      Priority = "low"
	PriorityNormal   Priority = "normal"
	PriorityHigh     Priority = "high"
	PriorityCritical Priority = "critical"
)

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool {
	switch p {
	case PriorityLow, PriorityNormal, PriorityHigh, PriorityCritical:
		return true
	}
	return false
}

// AlertFlags says which alerts an assignment raises.
type AlertFlags struct {
	BatteryLow    bool `bun:"alert_battery_low,notnull"`
	SignalLoss    bool `bun:"alert_signal_loss,notnull"`
	AudioLow      bool `bun:"alert_audio_low,notnull"`
	DeviceOffline bool `bun:"alert_device_offline,notnull"`
}

// DefaultAlerts is what a new assignment raises unless told otherwise.
var DefaultAlerts = AlertFlags{BatteryLow: true, SignalLoss: true, DeviceOffline: true}

// Any reports whether any alert is on.
func (f AlertFlags) Any() bool { return f.BatteryLow || f.SignalLoss || f.AudioLow || f.DeviceOffline }

// Assignment puts a performer on a channel.
type Assignment struct {
	bun.BaseModel `bun:"table:assignments,alias:asg"`

	ID          int64    `bun:"id,pk,autoincrement"`
	PerformerID int64    `bun:"performer_id,notnull"`
	ChannelID   int64    `bun:"channel_id,notnull"`
	Priority    Priority `bun:"priority,notnull"`
	Notes       string   `bun:"notes,notnull"`
	Active      bool     `bun:"active,notnull"`
	AlertFlags
	AlertLimits
	CreatedAt time.Time `bun:"created_at,notnull,default:current_timestamp"`
	UpdatedAt time.Time `bun:"updated_at,notnull,default:current_timestamp"`

	Performer *Performer `bun:"rel:belongs-to,join:performer_id=id"`
	Channel   *Channel   `bun:"rel:belongs-to,join:channel_id=id"`
}

// ConnStatus is the state of Micboard's link to a receiver.
type ConnStatus string

// Connection states.
const (
	ConnConnecting   ConnStatus = "connecting"
	ConnConnected    ConnStatus = "connected"
	ConnDisconnected ConnStatus = "disconnected"
	ConnError        ConnStatus = "error"
	ConnStopped      ConnStatus = "stopped"
)

// Connection records the health of the link to one receiver.
type Connection struct {
	bun.BaseModel `bun:"table:connections,alias:conn"`

	ID                int64      `bun:"id,pk,autoincrement"`
	ReceiverID        int64      `bun:"receiver_id,notnull"`
	Status            ConnStatus `bun:"status,notnull"`
	ConnectedAt       *time.Time `bun:"connected_at"`
	LastMessageAt     *time.Time `bun:"last_message_at"`
	DisconnectedAt    *time.Time `bun:"disconnected_at"`
	ErrorMessage      string     `bun:"error_message,notnull"`
	ErrorCount        int        `bun:"error_count,notnull"`
	LastErrorAt       *time.Time `bun:"last_error_at"`
	ReconnectAttempts int        `bun:"reconnect_attempts,notnull"`
	CreatedAt         time.Time  `bun:"created_at,notnull,default:current_timestamp"`
	UpdatedAt         time.Time  `bun:"updated_at,notnull,default:current_timestamp"`

	Receiver *Receiver `bun:"rel:belongs-to,join:receiver_id=id"`
}

// DiscoveryKind is how a discovery task finds devices.
type DiscoveryKind string

// Discovery kinds.
const (
	DiscoveryManual DiscoveryKind = "manual"
	DiscoveryCIDR   DiscoveryKind = "cidr"
	DiscoverySLP    DiscoveryKind = "slp"
	DiscoveryMDNS   DiscoveryKind = "mdns"
)

// Valid reports whether k is a known kind.
func (k DiscoveryKind) Valid() bool {
	switch k {
	case DiscoveryManual, DiscoveryCIDR, DiscoverySLP, DiscoveryMDNS:
		return true
	}
	return false
}

// TaskStatus is the outcome of a discovery task's last run.
type TaskStatus string

// Task states.
const (
	TaskPending TaskStatus = "pending"
	TaskRunning TaskStatus = "running"
	TaskSuccess TaskStatus = "success"
	TaskFailed  TaskStatus = "failed"
)

// DiscoveryTask is a scheduled search for devices.
type DiscoveryTask struct {
	bun.BaseModel `bun:"table:discovery_tasks,alias:dt"`

	ID              int64         `bun:"id,pk,autoincrement"`
	Name            string        `bun:"name,notnull"`
	Kind            DiscoveryKind `bun:"kind,notnull"`
	Target          string        `bun:"target,notnull"`
	ManufacturerID  *int64        `bun:"manufacturer_id"`
	Enabled         bool          `bun:"enabled,notnull"`
	IntervalSeconds int           `bun:"interval_seconds,notnull"`
	Status          TaskStatus    `bun:"status,notnull"`
	LastRunAt       *time.Time    `bun:"last_run_at"`
	LastError       string        `bun:"last_error,notnull"`
	Scanned         int           `bun:"scanned,notnull"`
	Found           int           `bun:"found,notnull"`
	// LeaseOwner names the instance running the task; LeaseExpiresAt is
	// when another may take it over if the owner stops renewing.
	LeaseOwner     string     `bun:"lease_owner,notnull"`
	LeaseExpiresAt *time.Time `bun:"lease_expires_at"`
	CreatedAt      time.Time  `bun:"created_at,notnull,default:current_timestamp"`
	UpdatedAt      time.Time  `bun:"updated_at,notnull,default:current_timestamp"`
}

// DiscoveredState is where a found device stands in approval.
type DiscoveredState string

// Discovered device states.
const (
	DiscoveredNew       DiscoveredState = "new"
	DiscoveredApproved  DiscoveredState = "approved"
	DiscoveredRejected  DiscoveredState = "rejected"
	DiscoveredDuplicate DiscoveredState = "duplicate"
)

// DiscoveredDevice is a device a discovery task found, waiting for approval.
type DiscoveredDevice struct {
	bun.BaseModel `bun:"table:discovered_devices,alias:dd"`

	ID             int64           `bun:"id,pk,autoincrement"`
	TaskID         *int64          `bun:"task_id"`
	ManufacturerID int64           `bun:"manufacturer_id,notnull"`
	Host           string          `bun:"host,notnull"`
	Port           int             `bun:"port,notnull"`
	Model          string          `bun:"model,notnull"`
	Name           string          `bun:"name,notnull"`
	Channels       int             `bun:"channels,notnull"`
	Serial         string          `bun:"serial,notnull"`
	MAC            string          `bun:"mac,notnull"`
	State          DiscoveredState `bun:"state,notnull"`
	ReceiverID     *int64          `bun:"receiver_id"`
	FirstSeenAt    time.Time       `bun:"first_seen_at,notnull,default:current_timestamp"`
	LastSeenAt     time.Time       `bun:"last_seen_at,notnull,default:current_timestamp"`
}

// BoardGroup is a saved board view: channels in a chosen order, with blank
// spacers (channel id 0), reached by its number key 1–9.
type BoardGroup struct {
	bun.BaseModel `bun:"table:board_groups,alias:grp"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Number    int       `bun:"number,notnull"`
	Name      string    `bun:"name,notnull"`
	Slots     []int64   `bun:"slots,array,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull,default:current_timestamp"`
	UpdatedAt time.Time `bun:"updated_at,notnull,default:current_timestamp"`
}

// TileSize is how big a kiosk draws its tiles.
type TileSize string

// Tile sizes.
const (
	TileSmall  TileSize = "s"
	TileMedium TileSize = "m"
	TileLarge  TileSize = "l"
)

// Kiosk is a wall display reached by a secret URL.
type Kiosk struct {
	bun.BaseModel `bun:"table:kiosks,alias:ksk"`

	ID               int64      `bun:"id,pk,autoincrement"`
	Name             string     `bun:"name,notnull"`
	TokenHash        []byte     `bun:"token_hash,notnull"`
	ViewQuery        string     `bun:"view_query,notnull"`
	Columns          int        `bun:"columns,notnull"`
	TileSize         TileSize   `bun:"tile_size,notnull"`
	ShowRF           bool       `bun:"show_rf,notnull"`
	ShowAudio        bool       `bun:"show_audio,notnull"`
	HeartbeatSeconds int        `bun:"heartbeat_seconds,notnull"`
	PageSeconds      int        `bun:"page_seconds,notnull"` // a paging wall turns its page this often
	RevokedAt        *time.Time `bun:"revoked_at"`
	LastSeenAt       *time.Time `bun:"last_seen_at"`
	LastSeenAddr     string     `bun:"last_seen_addr,notnull"`
	LastSeenAgent    string     `bun:"last_seen_agent,notnull"`
	CreatedAt        time.Time  `bun:"created_at,notnull,default:current_timestamp"`
	UpdatedAt        time.Time  `bun:"updated_at,notnull,default:current_timestamp"`
}
