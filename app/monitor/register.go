package monitor

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"micboard/app/device"
	_ "micboard/app/device/all" // every vendor's driver
	"micboard/app/model"
	"micboard/app/secret"
	"micboard/app/service"
	"micboard/app/store"
)

// Register asks a device what it is (model, name, channels) and registers
// it. A device that does not answer is an error and nothing is stored. A
// running monitor picks the new receiver up on its next poll.
func Register(ctx context.Context, st *store.Store, vendor, host string, port int, locationID *int64) (*model.Receiver, error) {
	return RegisterWith(ctx, st, vendor, host, port, RegisterOptions{LocationID: locationID})
}

// RegisterOptions are what a receiver may need beyond its address.
type RegisterOptions struct {
	LocationID *int64
	// Username and Password log in to a receiver that requires it
	// (Sennheiser SSCv2; Username empty means "api"). The password is
	// stored sealed under Key, never in clear, and never shown again.
	Username string
	Password string
	Key      *secret.Key
}

// ErrPasswordVendor: only receivers that log in take a password.
var ErrPasswordVendor = errors.New("this vendor's receivers take no password")

// RegisterWith is Register for receivers that need a login. The password
// is tried on the receiver first (a wrong one registers nothing), then
// sealed under o.Key and stored with the fingerprint of the certificate the
// receiver showed, which later connections insist on (trust on first use).
// Without a key nothing is asked or stored: a password kept in clear would
// be readable by anyone with a copy of the database.
func RegisterWith(ctx context.Context, st *store.Store, vendor, host string, port int, o RegisterOptions) (*model.Receiver, error) {
	v, ok := device.LookupVendor(vendor)
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", device.ErrUnknownVendor, vendor, device.Vendors())
	}
	if o.Password != "" {
		if v.LoginPort == 0 {
			return nil, ErrPasswordVendor
		}
		if o.Key == nil {
			return nil, fmt.Errorf("refusing to store a receiver password: %w", secret.ErrNoKey)
		}
		if o.Username == "" {
			o.Username = v.DefaultUser
		}
	}
	if port == 0 {
		port = v.DefaultPort
		if o.Password != "" {
			port = v.LoginPort
		}
	}
	var (
		mu sync.Mutex
		fp string
	)
	cfg := device.Config{Host: host, Port: port, DisableMeters: true,
		Username: o.Username, Password: device.Secret(o.Password),
		OnCertificate: func(f string) {
			mu.Lock()
			if fp == "" {
				fp = f
			}
			mu.Unlock()
		}}
	r, err := device.IdentifyWith(ctx, vendor, cfg)
	if err != nil {
		return nil, fmt.Errorf("ask %s:%d what it is: %w", host, port, err)
	}
	rep, err := ReportFromReading(vendor, host, port, r)
	if err != nil {
		return nil, err
	}
	rep.LocationID = o.LocationID
	rx, _, err := service.NewDevices(st).UpsertFromReport(ctx, rep)
	if err != nil {
		return nil, err
	}
	if o.Password != "" {
		sealed, err := o.Key.Seal([]byte(o.Password), model.PasswordAD(rx.ID))
		if err != nil {
			return nil, fmt.Errorf("seal the password of receiver %d: %w", rx.ID, err)
		}
		mu.Lock()
		pin := fp
		mu.Unlock()
		if err := st.Receivers.SetCredential(ctx, &model.ReceiverCredential{
			ReceiverID: rx.ID, Username: o.Username, PasswordSealed: sealed, TLSFingerprint: pin,
		}); err != nil {
			return nil, err
		}
	}
	return rx, nil
}

// DefaultPort is a vendor's control port, from the device registry.
func DefaultPort(vendor string) int { return device.DefaultPort(vendor) }
