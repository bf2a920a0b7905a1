package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"micboard/app/device"
	"micboard/app/model"
	"micboard/app/store"
)

// Devices holds the rules for receivers: status sync, battery updates,
// registering from a device's own report, and bulk activation.
type Devices struct {
	st  *store.Store
	now func() time.Time
}

// NewDevices returns the device service.
func NewDevices(st *store.Store) *Devices { return &Devices{st: st, now: time.Now} }

// DeviceReport is what a receiver says about itself, the input to
// UpsertFromReport.
type DeviceReport struct {
	Vendor     string
	Host       string
	Port       int
	Model      string
	DeviceType model.DeviceType // derived from Model when empty
	Name       string
	Serial     string
	MAC        string
	Firmware   string
	RFBand     string
	LocationID *int64
	Channels   []ChannelReport
}

// ChannelReport is one channel of a DeviceReport.
type ChannelReport struct {
	Number       int
	Name         string
	FrequencyKHz *int
}

func (r *DeviceReport) validate() error {
	v := validator{}
	r.Host = strings.TrimSpace(r.Host)
	v.check(knownVendor(r.Vendor), "vendor", "must be "+vendorCodes())
	v.check(validHost(r.Host), "host", "must be an IP address or host name")
	v.check(r.Port >= 1 && r.Port <= 65535, "port", "must be between 1 and 65535")
	if r.DeviceType == "" {
		r.DeviceType = model.DeviceType(device.DeviceTypeOf(r.Vendor, r.Model))
	}
	v.check(knownDeviceType(r.DeviceType), "model", fmt.Sprintf("%q is not a receiver model Micboard knows", r.Model))
	v.check(len(r.Channels) <= 8, "channels", "a receiver has at most 8 channels")
	seen := map[int]bool{}
	for _, c := range r.Channels {
		v.check(c.Number >= 1 && c.Number <= 8, "channels", fmt.Sprintf("channel number %d is not between 1 and 8", c.Number))
		v.check(!seen[c.Number], "channels", fmt.Sprintf("channel %d is listed twice", c.Number))
		seen[c.Number] = true
	}
	return v.err()
}

// validHost accepts IP addresses and RFC 1123 host names.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// UpsertFromReport registers a receiver from its own report, or refreshes
// the one already known — matched by serial, then MAC, then host:port, so a
// receiver that moved to a new address is not registered twice. Channels,
// transmitter rows and the connection record come with it, in one
// transaction. It reports whether the receiver was new.
func (s *Devices) UpsertFromReport(ctx context.Context, rep DeviceReport) (*model.Receiver, bool, error) {
	if err := rep.validate(); err != nil {
		return nil, false, err
	}
	var rx *model.Receiver
	var created bool
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		rx, created, err = upsertReport(ctx, tx, rep)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("register receiver %s:%d: %w", rep.Host, rep.Port, err)
	}
	full, err := s.st.Receivers.Get(ctx, rx.ID)
	return full, created, err
}

// upsertReport does UpsertFromReport's writes inside the caller's
// transaction; rep must be validated.
func upsertReport(ctx context.Context, tx *store.Store, rep DeviceReport) (*model.Receiver, bool, error) {
	mf, err := manufacturer(ctx, tx, rep.Vendor)
	if err != nil {
		return nil, false, err
	}
	rx, err := findExisting(ctx, tx, mf.ID, rep.Serial, rep.MAC, rep.Host, rep.Port)
	if err != nil {
		return nil, false, err
	}
	created := rx == nil
	if created {
		rx = &model.Receiver{ManufacturerID: mf.ID, Active: true, Status: model.LifecycleDiscovered}
	}
	rx.Host, rx.Port, rx.Model, rx.DeviceType = rep.Host, rep.Port, rep.Model, rep.DeviceType
	// A report that leaves a fact out keeps what is stored.
	keep := func(dst *string, v string) {
		if v = strings.TrimSpace(v); v != "" {
			*dst = v
		}
	}
	keep(&rx.Name, rep.Name)
	keep(&rx.Serial, rep.Serial)
	keep(&rx.MAC, rep.MAC)
	keep(&rx.Firmware, rep.Firmware)
	keep(&rx.RFBand, rep.RFBand)
	if rep.LocationID != nil {
		rx.LocationID = rep.LocationID
	}
	if created {
		err = tx.Receivers.Create(ctx, rx)
	} else {
		err = tx.Receivers.Update(ctx, rx, "host", "port", "model", "device_type", "name", "serial", "mac", "firmware", "rf_band", "location_id")
	}
	if err != nil {
		return nil, false, err
	}
	for _, c := range rep.Channels {
		ch := &model.Channel{ReceiverID: rx.ID, Number: c.Number, Name: strings.TrimSpace(c.Name), FrequencyKHz: c.FrequencyKHz}
		if err := tx.Channels.Upsert(ctx, ch); err != nil {
			return nil, false, err
		}
		if err := tx.Transmitters.Ensure(ctx, ch.ID); err != nil {
			return nil, false, err
		}
	}
	if len(rep.Channels) > 0 {
		if _, err := tx.Channels.DeleteAbove(ctx, rx.ID, maxChannel(rep.Channels)); err != nil {
			return nil, false, err
		}
	}
	if _, err := tx.Connections.Ensure(ctx, rx.ID, model.ConnConnecting); err != nil {
		return nil, false, err
	}
	return rx, created, nil
}

func maxChannel(cs []ChannelReport) int {
	n := 0
	for _, c := range cs {
		n = max(n, c.Number)
	}
	return n
}

// findExisting looks a receiver up by serial, then MAC, then address; nil
// when none matches.
func findExisting(ctx context.Context, st *store.Store, manufacturerID int64, serial, mac, host string, port int) (*model.Receiver, error) {
	lookups := []func() (*model.Receiver, error){}
	if serial != "" {
		lookups = append(lookups, func() (*model.Receiver, error) { return st.Receivers.FindBySerial(ctx, manufacturerID, serial) })
	}
	if mac != "" {
		lookups = append(lookups, func() (*model.Receiver, error) { return st.Receivers.FindByMAC(ctx, mac) })
	}
	lookups = append(lookups, func() (*model.Receiver, error) { return st.Receivers.FindByAddress(ctx, host, port) })
	for _, find := range lookups {
		rx, err := find()
		if err == nil {
			return rx, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return nil, nil
}

// SyncStatus records whether a receiver answers: its online flag and
// lifecycle status, and its connection record (connected, or disconnected
// with the reason as an error when there is one), in one transaction. It
// reports whether the online flag changed.
func (s *Devices) SyncStatus(ctx context.Context, receiverID int64, online bool, reason string) (bool, error) {
	now := s.now()
	var changed bool
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		if changed, err = tx.Receivers.SetOnline(ctx, receiverID, online, now); err != nil {
			return err
		}
		if _, err := tx.Connections.Ensure(ctx, receiverID, model.ConnConnecting); err != nil {
			return err
		}
		switch {
		case online:
			return tx.Connections.Heartbeat(ctx, receiverID, now)
		case reason != "":
			return tx.Connections.RecordError(ctx, receiverID, reason, now)
		default:
			_, err := tx.Connections.SetStatus(ctx, model.ConnDisconnected, receiverID)
			return err
		}
	})
	if err != nil {
		return false, fmt.Errorf("sync status of receiver %d: %w", receiverID, err)
	}
	return changed, nil
}

// UpdateBattery stores a battery report for a channel. Out-of-range values
// are refused; a device's "unknown" must arrive as nil (see
// model.BarsFromDevice), so it is stored as unknown and never counted low.
func (s *Devices) UpdateBattery(ctx context.Context, channelID int64, b store.BatteryUpdate) error {
	v := validator{}
	v.check(b.Bars == nil || (*b.Bars >= 0 && *b.Bars <= 5), "battery_bars", "must be 0 to 5 or unknown")
	v.check(b.Percent == nil || (*b.Percent >= 0 && *b.Percent <= 100), "battery_percent", "must be 0 to 100 or unknown")
	v.check(b.Minutes == nil || *b.Minutes >= 0, "battery_minutes", "must not be negative")
	if err := v.err(); err != nil {
		return err
	}
	if _, err := s.st.Channels.Get(ctx, channelID); err != nil {
		return err
	}
	return s.st.Transmitters.UpdateBattery(ctx, channelID, b, s.now())
}

// MarkInactive stops watching receivers: inactive, offline, connection
// stopped. It returns how many receivers changed.
func (s *Devices) MarkInactive(ctx context.Context, ids ...int64) (int, error) {
	return s.setActive(ctx, false, model.ConnStopped, ids)
}

// Reactivate watches receivers again; their connections start over as
// connecting with errors cleared. It returns how many receivers changed.
func (s *Devices) Reactivate(ctx context.Context, ids ...int64) (int, error) {
	return s.setActive(ctx, true, model.ConnConnecting, ids)
}

func (s *Devices) setActive(ctx context.Context, active bool, conn model.ConnStatus, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		if n, err = tx.Receivers.SetActive(ctx, active, ids...); err != nil {
			return err
		}
		if active {
			if _, err := tx.Connections.ResetErrors(ctx, ids...); err != nil {
				return err
			}
		}
		_, err = tx.Connections.SetStatus(ctx, conn, ids...)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("set %d receivers active=%t: %w", len(ids), active, err)
	}
	return n, nil
}

// SetLifecycle puts a receiver in maintenance, retires it, or returns it to
// service (online/offline is decided by the monitor, not by hand).
func (s *Devices) SetLifecycle(ctx context.Context, id int64, status model.Lifecycle) error {
	switch status {
	case model.LifecycleMaintenance, model.LifecycleRetired, model.LifecycleOffline:
	default:
		return &ValidationError{Fields: map[string]string{"status": "must be maintenance, retired or offline"}}
	}
	rx := &model.Receiver{ID: id, Status: status}
	if err := s.st.Receivers.Update(ctx, rx, "status"); err != nil {
		return fmt.Errorf("set lifecycle of receiver %d: %w", id, err)
	}
	return nil
}
