package monitor

import (
	"testing"

	"micboard/app/device"
	"micboard/app/model"
)

// A model string the code does not list must not refuse a receiver: the
// driver's family decides the device type.
func TestReportFromReadingUsesTheDeviceFamily(t *testing.T) {
	r := device.Reading{Model: device.Some("XYZ-4 Dante"), Family: device.Some("slxd"), ChannelCount: device.Some(4)}
	rep, err := ReportFromReading(model.VendorShure, "10.0.0.5", 2202, r)
	if err != nil {
		t.Fatal(err)
	}
	if rep.DeviceType != model.TypeSLXD || len(rep.Channels) != 4 {
		t.Errorf("report = %+v", rep)
	}
	// Without a family the model decides, as before.
	rep, err = ReportFromReading(model.VendorShure, "10.0.0.5", 2202, device.Reading{Model: device.Some("ULXD4Q")})
	if err != nil || rep.DeviceType != "" || rep.Model != "ULXD4Q" {
		t.Errorf("report = %+v, %v", rep, err)
	}
}
