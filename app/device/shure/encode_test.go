package shure

import (
	"errors"
	"strings"
	"testing"
	"time"

	"micboard/app/device"
)

func TestCommands(t *testing.T) {
	rate, err := SetMeterRate(0, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	stop, _ := SetMeterRate(0, 0)
	fast, _ := SetMeterRate(1, 100*time.Millisecond)
	tests := []struct{ got, want string }{
		{Get(0, "ALL"), "< GET 0 ALL >"},
		{Get(NoChannel, "DEVICE_ID"), "< GET DEVICE_ID >"},
		{Get(2, "CHAN_NAME"), "< GET 2 CHAN_NAME >"},
		{rate, "< SET 0 METER_RATE 01000 >"},
		{stop, "< SET 0 METER_RATE 00000 >"},
		{fast, "< SET 1 METER_RATE 00100 >"},
		{Rep(1, "BATT_BARS", "004"), "< REP 1 BATT_BARS 004 >"},
		{RepString(1, "CHAN_NAME", "Lead Vox", WidthName), "< REP 1 CHAN_NAME {Lead Vox                       } >"},
		{RepString(NoChannel, "MODEL", "AD4Q-A", WidthModel), "< REP MODEL {AD4Q-A                          } >"},
		{PadString("toolong", 3), "{toolong}"},
		{RepErr, "< REP ERR >"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if _, err := SetMeterRate(0, 100*time.Second); !errors.Is(err, device.ErrInvalidValue) {
		t.Errorf("100 s meter rate: err = %v", err)
	}
}

func TestSetChannelName(t *testing.T) {
	tests := []struct {
		fam     Family
		name    string
		want    string
		wantErr error
	}{
		{FamilyULXD, "HH01 Bob", "< SET 1 CHAN_NAME {HH01 Bob} >", nil},
		{FamilyULXD, "HH01 Bobby", "", device.ErrNameTooLong},
		{FamilyUnknown, "HH01 Bobby", "", device.ErrNameTooLong},
		{FamilyAD, "HH01 Bobby", "< SET 1 CHAN_NAME {HH01 Bobby} >", nil},
		{FamilyAD, strings.Repeat("x", 31), "< SET 1 CHAN_NAME {" + strings.Repeat("x", 31) + "} >", nil},
		{FamilySLXD, strings.Repeat("x", 32), "", device.ErrNameTooLong},
		{FamilyAD, "", "< SET 1 CHAN_NAME {} >", nil},
		{FamilyAD, "a{b", "", device.ErrInvalidName},
		{FamilyAD, "a}b", "", device.ErrInvalidName},
		// '<' and '>' are in Shure's documented name character set and are
		// safe inside the braces; braces are not.
		{FamilyAD, "<b", "< SET 1 CHAN_NAME {<b} >", nil},
		{FamilyAD, "b>", "< SET 1 CHAN_NAME {b>} >", nil},
		{FamilyAD, "{b", "", device.ErrInvalidName},
		{FamilyAD, "b}", "", device.ErrInvalidName},
		// SLX-D stores 8 characters though it reports names padded to 31
		// (companion-module-shure-wireless docs/SLXDplus-protocol.md:
		// "CHAN_NAME (31 chars padded; SET accepts up to 8 chars)").
		{FamilySLXD, "HH01 Fatai", "", device.ErrNameTooLong},
		{FamilySLXDPlus, "HH01 Ayo", "< SET 1 CHAN_NAME {HH01 Ayo} >", nil},
		{FamilyAD, "Zoë", "", device.ErrInvalidName},
		{FamilyAD, "tab\there", "", device.ErrInvalidName},
	}
	for _, tt := range tests {
		got, err := SetChannelName(1, tt.name, tt.fam)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("%v %q: got %q, %v; want %q, %v", tt.fam, tt.name, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := SetChannelName(0, "x", FamilyAD); !errors.Is(err, device.ErrInvalidValue) {
		t.Errorf("channel 0: err = %v", err)
	}
}

func TestAppendSampleRoundTrip(t *testing.T) {
	for _, wire := range []string{
		"< SAMPLE 1 ALL XB 035 098 >",
		"< SAMPLE 1 ALL 005 031 102 102 BB 31 086 31 065 >",
		"< SAMPLE 1 ALL 255 000 005 033 XX 00 011 00 012 >",
		"< SAMPLE 4 ALL 004 159 120 110 BRXB 31 086 07 065 00 010 15 070 >",
		"< SAMPLE 1 ALL 102 102 086 >",
	} {
		m := parseFramed(t, wire)
		if got := string(AppendSample(nil, m.Channel, &m.Sample)); got != wire {
			t.Errorf("AppendSample = %q, want %q", got, wire)
		}
	}
}

func TestRefreshQueries(t *testing.T) {
	tests := []struct {
		fam  Family
		want []string
	}{
		{FamilyULXD, []string{"< GET DEVICE_ID >", "< GET 0 CHAN_NAME >", "< GET 0 BATT_BARS >", "< GET 0 BATT_RUN_TIME >", "< GET 0 BATT_CHARGE >"}},
		{FamilyAD, []string{"< GET DEVICE_ID >", "< GET 0 CHAN_NAME >", "< GET 0 TX_BATT_BARS >", "< GET 0 TX_BATT_MINS >", "< GET 0 TX_BATT_CHARGE_PERCENT >"}},
		{FamilySLXD, []string{"< GET DEVICE_ID >", "< GET 0 CHAN_NAME >", "< GET 0 TX_BATT_BARS >", "< GET 0 TX_BATT_MINS >"}},
		// Before the family is known: names and both battery spellings, never
		// GET MODEL + GET 0 ALL again (ULX-D/QLX-D never answer MODEL, and a
		// full dump every 10 s is heavy on QLX-D).
		{FamilyUnknown, []string{"< GET DEVICE_ID >", "< GET 0 CHAN_NAME >", "< GET 0 BATT_BARS >", "< GET 0 TX_BATT_BARS >"}},
		// SLX-D+ is asked per channel: GET 0 ALL only starts its metering
		// (companion-module-shure-wireless docs/SLXDplus-protocol.md).
		{FamilySLXDPlus, []string{"< GET DEVICE_ID >", "< GET 1 CHAN_NAME >", "< GET 1 TX_BATT_BARS >", "< GET 1 TX_BATT_MINS >",
			"< GET 2 CHAN_NAME >", "< GET 2 TX_BATT_BARS >", "< GET 2 TX_BATT_MINS >"}},
		{FamilyP10T, []string{"< GET DEVICE_NAME >", "< GET 1 CHAN_NAME >", "< GET 2 CHAN_NAME >"}},
		{FamilyUHFR, []string{"* GET 1 CHAN_NAME *", "* GET 1 TX_BAT *", "* GET 2 CHAN_NAME *", "* GET 2 TX_BAT *"}},
	}
	for _, tt := range tests {
		if got := RefreshQueries(tt.fam, 2); strings.Join(got, "") != strings.Join(tt.want, "") {
			t.Errorf("%v: %q", tt.fam, got)
		}
	}
}
