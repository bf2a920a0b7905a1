package shure

import (
	"slices"
	"testing"

	"micboard/app/device"
)

// A device that talked but showed no family becomes FamilyGeneric, with
// what it answered kept for the warning; one that said nothing does not;
// and evidence arriving later still tells its real family.
func TestDecoderGeneric(t *testing.T) {
	var d Decoder
	var r device.Reading
	for _, msg := range []string{
		"REP DEVICE_ID {Rack 9                         }",
		"REP 1 CHAN_NAME {HH01 Ana                       }",
		"REP 2 TX_BATT_BARS 004",
		"REP 2 FREQUENCY 0554125",
		"REP 2 TX_BATT_BARS 003",
		"REP 2 TX_OFFSET 015",
	} {
		if _, err := d.Decode(&r, []byte(msg)); err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
	}
	if d.Family != FamilyUnknown {
		t.Fatalf("family %v from common parameters", d.Family)
	}
	if want := []string{"DEVICE_ID", "CHAN_NAME", "TX_BATT_BARS", "FREQUENCY", "TX_OFFSET"}; !slices.Equal(d.Answered, want) {
		t.Errorf("answered %v, want %v", d.Answered, want)
	}
	var settled device.Reading
	if !d.Generic(&settled) || d.Family != FamilyGeneric || settled.Family != device.Some(GenericDeviceType) ||
		settled.Kind != device.Some(device.KindReceiver) || d.MaxChannel != 2 {
		t.Fatalf("Generic: family %v reading %v %v channels %d", d.Family, settled.Family, settled.Kind, d.MaxChannel)
	}
	if c := r.Channels[2]; c.BatteryBars != device.Some(3) || c.FrequencyKHz != device.Some(554125) || c.TxOffsetDB.Set {
		t.Errorf("channel 2 = %+v", c)
	}
	// A ULX-D parameter later on: the device is a ULX-D after all.
	if _, err := d.Decode(&r, []byte("REP 1 BATT_BARS 005")); err != nil || d.Family != FamilyULXD || r.Family != device.Some("ulxd") {
		t.Errorf("after BATT_BARS: family %v reading %v (%v)", d.Family, r.Family, err)
	}

	var silent Decoder
	if silent.Generic(&device.Reading{}) || silent.Family != FamilyUnknown {
		t.Error("a device that said nothing became generic")
	}
	known := Decoder{Family: FamilyAD}
	if known.Generic(&device.Reading{}) {
		t.Error("a device of a known family became generic")
	}
}

// The generic type is in the registry, as a fallback no model name leads
// to, and is refreshed the way SLX-D is.
func TestGenericFamilyInRegistry(t *testing.T) {
	v, fam, ok := device.LookupDeviceType(GenericDeviceType)
	if !ok || v.Code != device.VendorShure || !fam.Fallback || len(fam.Models) != 0 || fam.Kind != device.KindReceiver || fam.MaxNameLen != 8 {
		t.Fatalf("registry: %v %+v %v", v.Code, fam, ok)
	}
	for _, m := range []string{"SRX4D", "Mystery 9000", ""} {
		if dt := device.DeviceTypeOf(device.VendorShure, m); dt != "" {
			t.Errorf("model %q maps to %q by name", m, dt)
		}
	}
	q := RefreshQueries(FamilyGeneric, 2)
	if !slices.Contains(q, Get(0, "TX_BATT_BARS")) || !slices.Contains(q, Get(0, "TX_BATT_MINS")) || !slices.Contains(q, Get(0, "CHAN_NAME")) {
		t.Errorf("refresh queries %v", q)
	}
}
