package web

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
	"time"

	_ "micboard/app/device/all"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/views"
)

// TestInEarTileShowsItsOwnFacts: a P10T's tile shows what an in-ear
// transmitter has (its RF output, RF mute, left and right inputs) and none
// of a bodypack's battery bars or received RF; its colour and attention come
// from the same health as every tile; and it places its meters where the
// render cache splits a tile.
func TestInEarTileShowsItsOwnFacts(t *testing.T) {
	set := template.Must(template.New("").Option("missingkey=error").ParseFS(views.FS, "partials/tile_iem.html", "partials/tile_meters.html"))
	f := func(v float64) *float64 { return &v }
	n := func(v int) *int { return &v }
	muted, live1 := true, false
	freq := 518250
	now := time.Now()
	down := now.Add(-3 * time.Minute)
	for _, tc := range []struct {
		name string
		tile live.Tile
		want []string
		not  []string
	}{
		{"on air", live.Tile{ChannelID: 7, Number: 1, DeviceName: "IEM A", Name: "IEM A", ReceiverName: "IEM Rack", DeviceType: model.TypeP10T,
			Online: true, Status: model.StatusGood, FrequencyKHz: &freq, AudioDBFS: f(-12), AudioRightDBFS: f(-30), RFPowerMW: n(50), RFMuted: &live1},
			[]string{`data-kind="iem"`, "RF 50 mW", "518.250", `data-status="GOOD"`, "L -12 dBFS · R -30 dBFS", ">L<", ">R<"},
			[]string{"tile-bars", "battery", ">RF<"}},
		{"RF muted", live.Tile{ChannelID: 8, Number: 2, ReceiverName: "IEM Rack", DeviceType: model.TypeP10T, Online: true,
			Status: model.StatusGood, RFMuted: &muted},
			[]string{"RF MUTED", "inputs not heard yet"}, nil},
		{"offline", live.Tile{ChannelID: 9, Number: 1, ReceiverName: "IEM Rack", DeviceType: model.TypeP10T, Status: model.StatusRxOffline, OfflineSince: &down},
			[]string{`data-status="RX_OFFLINE"`, "RF —", "bg-offline", "offline since <time datetime=\"" + down.UTC().Format(time.RFC3339) + "\" data-since>" + clockAt(down, now) + "</time>"},
			[]string{"meter\""}},
		{"nobody watches it", live.Tile{ChannelID: 10, Number: 2, ReceiverName: "IEM Rack", DeviceType: model.TypeP10T, Online: true,
			Status: model.StatusGood, UnwatchedSince: &down},
			[]string{`data-status="GOOD"`, " data-unwatched", "no data since <time datetime=\"" + down.UTC().Format(time.RFC3339) + "\" data-since-s>" + secondAt(down, now) + "</time>"},
			[]string{"offline since"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tileOptions{ShowRF: true, ShowAudio: true}
			v := newTileView(&tc.tile, opts, now)
			name, data := tileTemplate(&tc.tile, v)
			if name != PartialTileIEM {
				t.Fatalf("template %q", name)
			}
			iv := data.(iemTileView)
			iv.MetersHTML = metersMark
			var buf bytes.Buffer
			if err := set.ExecuteTemplate(&buf, "partials/"+name, iv); err != nil {
				t.Fatal(err)
			}
			head, tail, ok := strings.Cut(buf.String(), metersMark)
			if !ok {
				t.Fatal("the tile does not place its meters")
			}
			buf.Reset()
			if err := set.ExecuteTemplate(&buf, "partials/"+PartialTileMeters, tileView{ID: v.ID, Meters: v.Meters}); err != nil {
				t.Fatal(err)
			}
			html := head + buf.String() + tail
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("missing %q in\n%s", w, html)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(html, w) {
					t.Errorf("unexpected %q in\n%s", w, html)
				}
			}
		})
	}
	// A mic receiver keeps the common tile.
	if name, _ := tileTemplate(&live.Tile{DeviceType: model.TypeULXD}, tileView{}); name != PartialTile {
		t.Errorf("ULX-D tile drawn with %q", name)
	}
}
