package web

import (
	"testing"
	"time"

	"micboard/app/live"
	"micboard/app/model"
)

// BenchmarkLiveLine is the stream hub's work per metered channel per tick:
// at 1,000 channels metered ten times a second it runs 5,000 times a second.
func BenchmarkLiveLine(b *testing.B) {
	mins, bars, audio := 312, 4, -17.4
	t := &live.Tile{ChannelID: 1234, Status: model.StatusGood, RFLevelDBm: []float64{-61.5}, Diversity: "AX",
		AudioDBFS: &audio, Battery: model.Battery{Bars: &bars, Minutes: &mins}}
	opts := tileOptions{ShowRF: true, ShowAudio: true}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		_ = liveLine(t, opts, now)
	}
}

// The stream's meter line is built on the stack; it must read exactly as
// the line drawn from the tile's meter rows and battery text, and the
// battery text as it always has.
func TestLiveLineMatchesTheTilesRows(t *testing.T) {
	n := func(v int) *int { return &v }
	f := func(v float64) *float64 { return &v }
	now := time.Now()
	tiles := map[string]*live.Tile{
		"one level, diversity": {ChannelID: 7, Status: model.StatusGood, RFLevelDBm: []float64{-61.5}, Diversity: "AX",
			AudioDBFS: f(-17.4), Battery: model.Battery{Bars: n(4), Minutes: n(312)}},
		"four antennas, one dark": {ChannelID: 8, Status: model.StatusReplace, RFLevelDBm: []float64{-70, -65, -90, -55}, Diversity: "RBXB",
			AudioDBFS: f(-3), Battery: model.Battery{Bars: n(3), Minutes: n(47)}},
		"no RF yet, percent": {ChannelID: 9, Status: model.StatusGood, Battery: model.Battery{Percent: n(80)}},
		"clipping, minutes under ten": {ChannelID: 10, Status: model.StatusAudioPeak, RFLevelDBm: []float64{-50}, AudioDBFS: f(0),
			Battery: model.Battery{Bars: n(5), Minutes: n(65)}},
		"offline":         {ChannelID: 11, Status: model.StatusRxOffline},
		"unknown battery": {ChannelID: 12, Status: model.StatusTxOff, RFLevelDBm: []float64{-100, -100}, Diversity: "XX"},
	}
	for _, opts := range []tileOptions{{ShowRF: true, ShowAudio: true}, {ShowAudio: true}, {}} {
		for name, tile := range tiles {
			want := meterLine(tile.ChannelID, tileMeters(tile, opts, offline(tile)), shownBattery(tile, now), tile.Status == model.StatusAudioPeak)
			if got := liveLine(tile, opts, now); got != want {
				t.Errorf("%s %+v: live line %q, want %q", name, opts, got, want)
			}
		}
	}
	for mins, want := range map[int]string{0: "0m", 9: "9m", 59: "59m", 60: "1h 00m", 65: "1h 05m", 312: "5h 12m", 6000: "100h 00m"} {
		if got := batteryText(&live.Tile{}, model.Battery{Minutes: &mins}); got != want {
			t.Errorf("%d min reads %q, want %q", mins, got, want)
		}
	}
	if got := batteryText(&live.Tile{}, model.Battery{Percent: n(7)}); got != "7%" {
		t.Errorf("7 %% reads %q", got)
	}
	if got := batteryText(&live.Tile{}, model.Battery{}); got != "—" {
		t.Errorf("no battery reads %q", got)
	}
}
