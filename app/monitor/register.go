package monitor

import (
	"context"
	"fmt"

	"micboard/app/device"
	_ "micboard/app/device/all" // every vendor's driver
	"micboard/app/device/sennheiser"
	"micboard/app/device/shure"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// Register asks a device what it is (model, name, channels) and registers
// it. A device that does not answer is an error and nothing is stored. A
// running monitor picks the new receiver up on its next poll.
func Register(ctx context.Context, st *store.Store, vendor, host string, port int, locationID *int64) (*model.Receiver, error) {
	if port == 0 {
		port = DefaultPort(vendor)
	}
	r, err := device.Identify(ctx, vendor, host, port)
	if err != nil {
		return nil, fmt.Errorf("ask %s:%d what it is: %w", host, port, err)
	}
	rep, err := ReportFromReading(vendor, host, port, r)
	if err != nil {
		return nil, err
	}
	rep.LocationID = locationID
	rx, _, err := service.NewDevices(st).UpsertFromReport(ctx, rep)
	if err != nil {
		return nil, err
	}
	return rx, nil
}

// DefaultPort is a vendor's control port: Shure TCP 2202, Sennheiser UDP 45.
func DefaultPort(vendor string) int {
	if vendor == model.VendorSennheiser {
		return sennheiser.DefaultPort
	}
	return shure.DefaultPort
}
