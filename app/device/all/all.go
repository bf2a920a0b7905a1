// Package all registers every vendor driver with the device registry and
// hands the registry's device types to the model. Import it for its side
// effect where drivers are built or device types are checked:
//
//	import _ "micboard/app/device/all"
//
// Adding a vendor is its own folder under app/device plus one blank import
// here.
package all

import (
	"micboard/app/device"
	"micboard/app/model"

	// Each vendor package registers itself in init.
	_ "micboard/app/device/sennheiser"
	_ "micboard/app/device/shure"
)

func init() {
	var infos []model.DeviceTypeInfo
	for _, v := range device.AllVendors() {
		for _, f := range v.Families {
			infos = append(infos, model.DeviceTypeInfo{Type: model.DeviceType(f.DeviceType), NoBattery: f.NoBattery})
		}
	}
	model.SetDeviceTypes(infos)
}
