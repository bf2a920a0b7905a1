package sennheiser

import (
	"fmt"
	"slices"
	"testing"

	"micboard/app/device"
)

func apply(t *testing.T, datagram string) (device.Reading, bool) {
	t.Helper()
	m, err := Decode([]byte(datagram))
	if err != nil {
		t.Fatalf("Decode(%s): %v", datagram, err)
	}
	var r device.Reading
	changed := Apply(&r, &m)
	return r, changed
}

func TestApplyReceiver(t *testing.T) {
	r, changed := apply(t, `{"device":{"name":"EM Rack","identity":{"version":"3.1.0","product":"EW-DX EM 4 Dante","serial":"123"}}}`)
	if !changed || r.Name != device.Some("EM Rack") || r.Firmware != device.Some("3.1.0") ||
		r.Model != device.Some("EW-DX EM 4 Dante") || r.ChannelCount != device.Some(4) || r.Serial != device.Some("123") {
		t.Errorf("receiver = %+v", r)
	}
}

func TestApplyChannel(t *testing.T) {
	eq := func(field string, got, want any) string {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Sprintf("%s = %v, want %v; ", field, got, want)
		}
		return ""
	}
	tests := []struct {
		in    string
		ch    int
		check func(c *device.ChannelReading) string
	}{
		{`{"rx1":{"name":"Vox"}}`, 1, func(c *device.ChannelReading) string { return eq("name", c.Name, device.Some("Vox")) }},
		{`{"rx2":{"frequency":548000}}`, 2, func(c *device.ChannelReading) string {
			return eq("freq", c.FrequencyKHz, device.Some(548000))
		}},
		{`{"rx1":{"mute":true,"gain":12}}`, 1, func(c *device.ChannelReading) string {
			return eq("mute", c.Muted, device.Some(true)) + eq("gain", c.Gain, device.Some(12.0))
		}},
		{`{"rx1":{"warnings":["AfPeak","Other"]}}`, 1, func(c *device.ChannelReading) string {
			return eq("peak", c.AudioPeak, device.Some(true))
		}},
		{`{"rx1":{"warnings":[]}}`, 1, func(c *device.ChannelReading) string {
			return eq("peak", c.AudioPeak, device.Some(false))
		}},
		{`{"m":{"rx1":{"rssi":-107,"rsqi":0,"af":-138.5,"divi":0}}}`, 1, func(c *device.ChannelReading) string {
			return eq("rf", c.RFLevelDBm, []float64{-107}) + eq("quality", c.Quality, device.Some(0)) +
				eq("max", c.QualityMax, 100) + eq("af", c.AudioLevelDBFS, device.Some(-138.5)) +
				eq("div", c.Diversity, device.Some("XX"))
		}},
		{`{"m":{"rx4":{"divi":1,"rsqi":87}}}`, 4, func(c *device.ChannelReading) string {
			return eq("div", c.Diversity, device.Some("AX")) + eq("quality", c.Quality, device.Some(87))
		}},
		{`{"m":{"rx1":{"divi":2}}}`, 1, func(c *device.ChannelReading) string {
			return eq("div", c.Diversity, device.Some("XB"))
		}},
		{`{"mates":{"tx1":{"battery":{"gauge":70,"lifetime":245,"type":"Battery"},"type":"SKM"}}}`, 1,
			func(c *device.ChannelReading) string {
				return eq("percent", c.BatteryPercent, device.Some(70)) + eq("minutes", c.BatteryMinutes, device.Some(245)) +
					eq("state", c.BatteryRuntime, device.RuntimeValid) + eq("type", c.BatteryType, device.Some("Battery")) +
					eq("tx", c.TxModel, device.Some("SKM"))
			}},
		{`{"mates":{"tx2":{"battery":{"type":"Primary Cell","lifetime":-1,"gauge":255}}}}`, 2,
			func(c *device.ChannelReading) string {
				return eq("percent", c.BatteryPercent, device.Unknown[int]()) +
					eq("minutes", c.BatteryMinutes, device.Unknown[int]()) + eq("type", c.BatteryType, device.Some("Primary Cell"))
			}},
		// 424: transmitter absent → battery and type unknown for that channel.
		{`{"osc":{"error":[{"mates":{"tx2":{"battery":{"gauge":[424]}}}}]}}`, 2, func(c *device.ChannelReading) string {
			return eq("percent", c.BatteryPercent, device.Unknown[int]()) +
				eq("minutes", c.BatteryMinutes, device.Unknown[int]()) +
				eq("state", c.BatteryRuntime, device.RuntimeUnknown) + eq("tx", c.TxModel, device.Unknown[string]())
		}},
		// Leniency: numbers as strings, mute as 0/1 or "on".
		{`{"rx1":{"frequency":"548000","mute":1}}`, 1, func(c *device.ChannelReading) string {
			return eq("freq", c.FrequencyKHz, device.Some(548000)) + eq("mute", c.Muted, device.Some(true))
		}},
		{`{"rx1":{"mute":"off"}}`, 1, func(c *device.ChannelReading) string { return eq("mute", c.Muted, device.Some(false)) }},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, changed := apply(t, tt.in)
			c := r.Channels[tt.ch]
			if !changed || c == nil {
				t.Fatalf("nothing applied: %+v", r)
			}
			if msg := tt.check(c); msg != "" {
				t.Error(msg)
			}
			if nums := r.ChannelNumbers(); !slices.Equal(nums, []int{tt.ch}) {
				t.Errorf("channels %v, want only %d", nums, tt.ch)
			}
		})
	}
}

func TestApplyIgnores(t *testing.T) {
	for _, in := range []string{
		`{"rx1":{"name":5}}`,
		`{"rx1":{"unknown":"x"}}`,
		`{"rx0":{"name":"x"}}`,
		`{"rxA":{"name":"x"}}`,
		`{"m":{"rx1":{"rssi":"loud"}}}`,
		`{"m":{"rx1":{"divi":7}}}`,
		`{"osc":{"error":[{"rx1":{"name":[404]}}]}}`,
		`{"device":{"identity":{"product":3}}}`,
		`{"rx1":{"name":null}}`,
	} {
		r, changed := apply(t, in)
		if changed || !r.Empty() {
			t.Errorf("%s changed the reading: %+v", in, r)
		}
	}
}

func TestChannelsOf(t *testing.T) {
	for product, want := range map[string]int{
		"EW-DX EM 2":       2,
		"EW-DX EM 4 Dante": 4,
		"EW-DX EM4":        4,
		"EM 6000":          2,
		"SpeechLine":       0,
		"":                 0,
	} {
		if got := ChannelsOf(product); got != want {
			t.Errorf("ChannelsOf(%q) = %d, want %d", product, got, want)
		}
	}
}
