package live

import (
	"testing"
	"time"

	"micboard/app/device"
	_ "micboard/app/device/all"
	"micboard/app/device/shure"
	"micboard/app/model"
)

// TestInEarTileTakesTheP10TFacts: a PSM1000 P10T's reference lines
// (companion-module-shure-psm1000 src/internalAPI.js: RF_TX_LVL in mW,
// RF_MUTE 1/0; micboard py/iem.py: AUDIO_IN_LVL_L/R) land on the tile as its
// inputs, RF output and RF mute; the registry marks the type in-ear, and a
// mic receiver's tile is not.
func TestInEarTileTakesTheP10TFacts(t *testing.T) {
	var (
		sp  shure.Splitter
		dec shure.Decoder
		r   device.Reading
	)
	sp.Feed([]byte("< REPORT 1 CHAN_NAME {IEM A} >< REPORT 1 RF_TX_LVL 100 >< REPORT 1 RF_MUTE 1 >"+
		"< REPORT 1 AUDIO_IN_LVL_L 2502970 >< REPORT 1 AUDIO_IN_LVL_R 0010272 >"), func(m []byte) { _, _ = dec.Decode(&r, m) })
	tile := &Tile{DeviceType: model.TypeP10T}
	if !tile.InEar() || (&Tile{DeviceType: model.TypeULXD}).InEar() {
		t.Fatal("only the P10T is in-ear")
	}
	c := applyChannel(tile, r.Channels[1], time.Now())
	if c&ChangeState == 0 || c&ChangeMeter == 0 {
		t.Errorf("change %b: want state (RF) and meter (inputs)", c)
	}
	if tile.RFPowerMW == nil || *tile.RFPowerMW != 100 || tile.RFMuted == nil || !*tile.RFMuted ||
		tile.AudioDBFS == nil || tile.AudioRightDBFS == nil || *tile.AudioRightDBFS >= *tile.AudioDBFS {
		t.Fatalf("tile = power %v muted %v L %v R %v", tile.RFPowerMW, tile.RFMuted, tile.AudioDBFS, tile.AudioRightDBFS)
	}
	// The same facts again change no state: the tile is not redrawn.
	if c := applyChannel(tile, r.Channels[1], time.Now()); c&ChangeState != 0 {
		t.Errorf("repeat changed state")
	}
	if tile.DeviceType.ReportsBattery() {
		t.Error("a P10T reports no battery (the one health definition keeps it off TX_OFF)")
	}
}
