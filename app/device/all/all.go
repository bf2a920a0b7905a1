// Package all registers every vendor driver with the device registry. Import
// it for its side effect where drivers are built by vendor code:
//
//	import _ "micboard/app/device/all"
package all

import (
	// Each vendor package registers itself in init.
	_ "micboard/app/device/sennheiser"
	_ "micboard/app/device/shure"
)
