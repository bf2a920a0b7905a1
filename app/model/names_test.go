package model

import "testing"

func TestSplitSlotName(t *testing.T) {
	cases := []struct{ in, slot, name string }{
		{"HH01 Fatai", "HH01", "Fatai"},
		{"BP09_Spare", "BP09", "Spare"},
		{"  HH12   Lead  Vox ", "HH12", "Lead Vox"},
		{"Lead Vox", "", "Lead Vox"},
		{"01 Vox", "", "01 Vox"},
		{"HH Vox", "", "HH Vox"},
		{"HH01", "HH01", ""},
		{"HH01x Vox", "", "HH01x Vox"},
		{"", "", ""},
		{"Ünï01 Name", "", "Ünï01 Name"},
	}
	for _, c := range cases {
		slot, name := SplitSlotName(c.in)
		if slot != c.slot || name != c.name {
			t.Errorf("SplitSlotName(%q) = %q, %q; want %q, %q", c.in, slot, name, c.slot, c.name)
		}
	}
}

func TestFromDeviceSentinels(t *testing.T) {
	if BarsFromDevice(255) != nil || BarsFromDevice(6) != nil || BarsFromDevice(-1) != nil {
		t.Error("out-of-range bars must be unknown")
	}
	if b := BarsFromDevice(0); b == nil || *b != 0 {
		t.Error("0 bars is a real reading, not unknown")
	}
	if PercentFromDevice(255) != nil || *PercentFromDevice(100) != 100 {
		t.Error("percent sentinel")
	}
	for _, raw := range []int{65533, 65534, 65535} {
		if MinutesFromDevice(raw) != nil {
			t.Errorf("minutes %d must be unknown", raw)
		}
	}
	if m := MinutesFromDevice(65532); m == nil || *m != 65532 {
		t.Error("65532 minutes is a real reading")
	}
}

func TestChannelDisplayName(t *testing.T) {
	c := Channel{Name: "HH01 Fatai", OverrideName: "Lead", OverrideDeviceName: "HH01 Fatai"}
	if got := c.DisplayName(); got != "Lead" {
		t.Fatalf("override while device name unchanged: got %q", got)
	}
	c.Name = "HH01 Other"
	if got := c.DisplayName(); got != "HH01 Other" {
		t.Fatalf("override must lapse when the device renames: got %q", got)
	}
}
