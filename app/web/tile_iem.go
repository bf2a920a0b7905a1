package web

import (
	"fmt"

	"micboard/app/live"
)

// PartialTileIEM draws an in-ear transmitter's tile (see live.Tile.InEar).
const PartialTileIEM = "tile_iem"

// iemTileView is what partials/tile_iem renders: the common tile (status,
// colour and attention from the one health definition in app/model, name,
// frequency) plus what an in-ear transmitter has instead of a mic pack's
// battery and received RF: its RF output and its audio inputs.
type iemTileView struct {
	tileView
	// Attention and Severity are the model's "needs attention" and "worst
	// first" rank, as on every tile.
	Attention bool
	Severity  int
	RFOut     string // "100 mW", "—"
	RFMuted   bool
	RFKnown   bool
	InputText string // "L −18 dBFS · R −20 dBFS", for people and screen readers
}

// newIEMTileView formats an in-ear transmitter's tile.
func newIEMTileView(t *live.Tile, v tileView) iemTileView {
	iv := iemTileView{tileView: v, RFOut: "—", Attention: t.NeedsAttention(), Severity: t.Status.Severity()}
	if t.RFPowerMW != nil {
		iv.RFOut, iv.RFKnown = fmt.Sprintf("%d mW", *t.RFPowerMW), true
	}
	if t.RFMuted != nil {
		iv.RFMuted = *t.RFMuted
	}
	iv.InputText = "inputs not heard yet"
	if t.AudioDBFS != nil || t.AudioRightDBFS != nil {
		iv.InputText = "L " + dbfsText(t.AudioDBFS) + " · R " + dbfsText(t.AudioRightDBFS)
	}
	return iv
}

func dbfsText(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.0f dBFS", *v)
}

// iemMeters are an in-ear transmitter's meters: its left and right audio
// inputs (a bodypack's RF per antenna and received audio mean nothing
// here). The same rows feed the page and the live meter updates.
func iemMeters(t *live.Tile, opts tileOptions, offline bool) []meterRow {
	if offline || !opts.ShowAudio {
		return nil
	}
	row := func(label string, v *float64) meterRow {
		if v == nil {
			return meterRow{Label: label}
		}
		return meterRow{Label: label, Pct: quantise(scale(*v, -60, 0)), Active: true, Bar: true}
	}
	return []meterRow{row("L", t.AudioDBFS), row("R", t.AudioRightDBFS)}
}

// tileTemplate picks the partial and the data a tile is drawn with.
func tileTemplate(t *live.Tile, v tileView) (string, any) {
	if t.InEar() {
		return PartialTileIEM, newIEMTileView(t, v)
	}
	return PartialTile, v
}
