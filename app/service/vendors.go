package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"micboard/app/device"
	// The registry is what says which vendors and device types exist;
	// every vendor package adds itself to it.
	_ "micboard/app/device/all"
	"micboard/app/model"
	"micboard/app/store"
)

// knownVendor reports whether the device registry has a driver for code.
func knownVendor(code string) bool {
	_, ok := device.LookupVendor(code)
	return ok
}

// vendorCodes is the registry's vendor codes for messages ("shure or
// sennheiser").
func vendorCodes() string {
	v := device.Vendors()
	switch len(v) {
	case 0:
		return "a registered vendor"
	case 1:
		return v[0]
	}
	return strings.Join(v[:len(v)-1], ", ") + " or " + v[len(v)-1]
}

// knownDeviceType reports whether the registry lists device type t.
func knownDeviceType(t model.DeviceType) bool {
	_, _, ok := device.LookupDeviceType(string(t))
	return ok
}

// manufacturer finds the row of a vendor, adding it from the device
// registry the first time a registered vendor is used: a new vendor needs
// no migration.
func manufacturer(ctx context.Context, st *store.Store, code string) (*model.Manufacturer, error) {
	mf, err := st.Manufacturers.ByCode(ctx, code)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return mf, err
	}
	v, ok := device.LookupVendor(code)
	if !ok {
		return nil, err
	}
	cfg, jerr := json.Marshal(map[string]any{"protocol": v.Transport, "default_port": v.DefaultPort})
	if jerr != nil {
		return nil, fmt.Errorf("vendor %q config: %w", code, jerr)
	}
	return st.Manufacturers.Ensure(ctx, &model.Manufacturer{Code: v.Code, Name: v.Name, Config: cfg})
}

// SyncManufacturers adds a row for every registered vendor that has none,
// so lists and filters of vendors show them before their first receiver.
func SyncManufacturers(ctx context.Context, st *store.Store) error {
	for _, code := range device.Vendors() {
		if _, err := manufacturer(ctx, st, code); err != nil {
			return fmt.Errorf("sync manufacturer %q: %w", code, err)
		}
	}
	return nil
}
