package monitor

import (
	"fmt"

	"micboard/app/device"
	mdl "micboard/app/model"
	"micboard/app/service"
)

// ReportFromReading turns what a receiver said about itself into the report
// the device service registers. Channels are 1..ChannelCount when the count
// is known, else the channels the reading mentions.
func ReportFromReading(vendor, host string, port int, r device.Reading) (service.DeviceReport, error) {
	model, ok := r.Model.Get()
	if !ok {
		return service.DeviceReport{}, fmt.Errorf("%s:%d did not say which model it is", host, port)
	}
	rep := service.DeviceReport{Vendor: vendor, Host: host, Port: port, Model: model}
	// The driver knows the family from what the device does, so a model
	// string Micboard does not list ("SLXD4Q+ Dante", a new firmware's
	// spelling) still registers instead of being refused over its name.
	if fam, ok := r.Family.Get(); ok && knownDeviceType(fam) {
		rep.DeviceType = mdl.DeviceType(fam)
	}
	rep.Name, _ = r.Name.Get()
	rep.Firmware, _ = r.Firmware.Get()
	rep.Serial, _ = r.Serial.Get()
	rep.RFBand, _ = r.RFBand.Get()
	nums := r.ChannelNumbers()
	if n, ok := r.ChannelCount.Get(); ok && n > 0 {
		nums = nums[:0]
		for i := 1; i <= n; i++ {
			nums = append(nums, i)
		}
	}
	for _, n := range nums {
		c := service.ChannelReport{Number: n}
		if cr := r.Channels[n]; cr != nil {
			c.Name, _ = cr.Name.Get()
			if f, ok := cr.FrequencyKHz.Get(); ok {
				c.FrequencyKHz = &f
			}
		}
		rep.Channels = append(rep.Channels, c)
	}
	return rep, nil
}

// factsKey summarises the receiver-level facts that, when they change, are
// worth registering again (not names or battery, which the board persists).
func factsKey(r *device.Reading) string {
	name, _ := r.Name.Get()
	model, _ := r.Model.Get()
	fw, _ := r.Firmware.Get()
	serial, _ := r.Serial.Get()
	band, _ := r.RFBand.Get()
	n, _ := r.ChannelCount.Get()
	return fmt.Sprintf("%s|%s|%s|%s|%s|%d", name, model, fw, serial, band, n)
}

// knownDeviceType reports whether the device registry lists code.
func knownDeviceType(code string) bool {
	_, _, ok := device.LookupDeviceType(code)
	return ok
}
