package device

import (
	"slices"
	"testing"
	"time"
)

func TestOpt(t *testing.T) {
	tests := []struct {
		name      string
		o         Opt[int]
		wantV     int
		wantKnown bool
		wantStr   string
	}{
		{"absent", Opt[int]{}, 0, false, "-"},
		{"unknown", Unknown[int](), 0, false, "unknown"},
		{"zero is a value", Some(0), 0, true, "0"},
		{"value", Some(4), 4, true, "4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := tt.o.Get()
			if v != tt.wantV || ok != tt.wantKnown || tt.o.Known() != tt.wantKnown {
				t.Errorf("Get() = %d, %v; Known() = %v; want %d, %v", v, ok, tt.o.Known(), tt.wantV, tt.wantKnown)
			}
			if got := tt.o.String(); got != tt.wantStr {
				t.Errorf("String() = %q, want %q", got, tt.wantStr)
			}
		})
	}
}

func TestOptOverlay(t *testing.T) {
	tests := []struct {
		name      string
		prev, upd Opt[int]
		want      Opt[int]
	}{
		{"absent keeps value", Some(3), Opt[int]{}, Some(3)},
		{"unknown replaces value", Some(3), Unknown[int](), Unknown[int]()},
		{"value replaces unknown", Unknown[int](), Some(5), Some(5)},
		{"value replaces value", Some(1), Some(2), Some(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.prev
			got.Overlay(tt.upd)
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadingMerge(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	var state Reading
	state.Merge(Reading{At: t0, Name: Some("Stage L"), Model: Some("AD4D")})
	c := state.Channel(1)
	c.Name = Some("HH01 Fatai")
	c.BatteryBars = Some(4)
	c.BatteryMinutes, c.BatteryRuntime = Some(300), RuntimeValid
	c.RFLevelDBm = []float64{-40, -50}
	c.Quality, c.QualityMax = Some(5), 5

	upd := Reading{At: t0.Add(time.Second)}
	u := upd.Channel(1)
	u.BatteryBars = Unknown[int]()
	u.BatteryMinutes, u.BatteryRuntime = Unknown[int](), RuntimeCalculating
	u.RFLevelDBm = []float64{-90}
	upd.Channel(2).Name = Some("BP09")
	state.Merge(upd)

	// The update's slice must not be shared with the state.
	u.RFLevelDBm[0] = 0

	got := state.Channels[1]
	if got.Name != Some("HH01 Fatai") {
		t.Errorf("name lost: %v", got.Name)
	}
	if got.BatteryBars != Unknown[int]() {
		t.Errorf("bars = %v, want unknown", got.BatteryBars)
	}
	if got.BatteryMinutes != Unknown[int]() || got.BatteryRuntime != RuntimeCalculating {
		t.Errorf("minutes = %v %v, want unknown calculating", got.BatteryMinutes, got.BatteryRuntime)
	}
	if !slices.Equal(got.RFLevelDBm, []float64{-90}) {
		t.Errorf("rf = %v, want [-90]", got.RFLevelDBm)
	}
	if got.Quality != Some(5) || got.QualityMax != 5 {
		t.Errorf("quality = %v/%d", got.Quality, got.QualityMax)
	}
	if state.Channels[2].Name != Some("BP09") {
		t.Errorf("channel 2 = %+v", state.Channels[2])
	}
	if !state.At.Equal(t0.Add(time.Second)) || state.Name != Some("Stage L") || state.Model != Some("AD4D") {
		t.Errorf("receiver facts = %v %v %v", state.At, state.Name, state.Model)
	}
	if n := state.ChannelNumbers(); !slices.Equal(n, []int{1, 2}) {
		t.Errorf("ChannelNumbers = %v", n)
	}
}

func TestReadingClone(t *testing.T) {
	var r Reading
	r.Channel(1).RFLevelDBm = []float64{-60}
	r.Channel(1).Name = Some("A")
	cl := r.Clone()
	r.Channel(1).RFLevelDBm[0] = 0
	r.Channel(1).Name = Some("B")
	if cl.Channels[1].RFLevelDBm[0] != -60 || cl.Channels[1].Name != Some("A") {
		t.Errorf("clone shares memory: %+v", cl.Channels[1])
	}
}

func TestEmpty(t *testing.T) {
	var r Reading
	if !r.Empty() {
		t.Error("zero Reading not empty")
	}
	r.Firmware = Unknown[string]()
	if r.Empty() {
		t.Error("Reading with an unknown fact reported empty")
	}
}

func TestChannelHelpers(t *testing.T) {
	tests := []struct {
		div    Opt[string]
		rf     []float64
		active int
		maxRF  float64
		hasRF  bool
	}{
		{Some("AX"), []float64{-80}, 1, -80, true},
		{Some("XX"), nil, 0, 0, false},
		{Some("BBRX"), []float64{-70, -40, -90, -100}, 3, -40, true},
		{Unknown[string](), nil, 0, 0, false},
	}
	for _, tt := range tests {
		c := ChannelReading{Diversity: tt.div, RFLevelDBm: tt.rf}
		if got := c.AntennasActive(); got != tt.active {
			t.Errorf("%v: AntennasActive = %d, want %d", tt.div, got, tt.active)
		}
		if got, ok := c.MaxRFLevel(); got != tt.maxRF || ok != tt.hasRF {
			t.Errorf("%v: MaxRFLevel = %v %v", tt.rf, got, ok)
		}
	}
}
