package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"micboard/app/device"
	"micboard/app/live"
	"micboard/app/model"
)

// tileOptions say what a board or kiosk draws on each tile.
type tileOptions struct {
	ShowRF    bool
	ShowAudio bool
	Clickable bool // opens the channel detail (not on kiosks)
	Size      model.TileSize
}

// tileView is what partials/tile renders: every number already formatted,
// so the page, the live update and the kiosk cannot drift apart.
type tileView struct {
	ID        int64
	Slot      string
	Name      string
	Performer string
	Receiver  string
	Status    string // PROTOCOLS.md §3 name
	// BaseStatus is the status beneath a clip's pulse, which the page
	// restores when the pulse ends.
	BaseStatus string
	Label      string // for people: "Critical", "RX offline"
	Class      string // colour classes
	BadgeClass string // the status badge's background, light or dark for the tile's text
	Striped    bool
	Peak       bool
	Offline    bool
	Attention  bool // model's "needs attention": kiosks keep these on every page
	Severity   int  // model's "worst first" rank: a phone's list is in this order
	Bars       [5]bool
	BarsKnown  bool
	BarsText   string // "2 of 5 bars": the bars in words, for screen readers
	Battery    string // "7h 40m", "85 %", "calculating", "—"
	// RuntimeHTML is the battery text as drawn; set by the render cache,
	// which keeps it apart from the body because it moves every minute.
	RuntimeHTML template.HTML
	Antennas    []antennaView
	Meters      []meterRow    // what tile_meters draws, in order
	MetersHTML  template.HTML // tile_meters drawn; set by the render cache
	RFText      string
	AudioPct    int
	AudioText   string
	Frequency   string // "470.125"
	TxModel     string
	LastHeard   *time.Time
	// OfflineAt is when an offline receiver stopped answering, as a clock
	// reads it ("21:14"; "" when online or not known), OfflineISO the same
	// moment in RFC 3339 for the page to show on its own clock.
	OfflineAt  string
	OfflineISO string
	// Unwatched: nobody watches the receiver (the instance holding its
	// lease died); the tile keeps its last state and colour, greyed, and
	// says since when, to the second, as the stale banner does.
	Unwatched    bool
	UnwatchedAt  string
	UnwatchedISO string
	Muted        bool
	Opts         tileOptions
	DetailURL    string // the channel panel, when the tile is clickable
	Channel      int
	DeviceName   string
}

// antennaView is one antenna's RF meter.
type antennaView struct {
	Label  string
	Pct    int
	Active bool
}

// statusStyle maps a status to its label and colour classes. Text colour is
// chosen per background for contrast (WCAG AA 4.5:1: dark text on the red,
// whose white text measured 4.1:1).
var statusStyle = map[model.Status]struct{ Label, Class string }{
	model.StatusGood:     {"Good", "bg-good text-stage-950"},
	model.StatusReplace:  {"Replace", "bg-replace text-stage-950"},
	model.StatusCritical: {"Critical", "bg-critical text-stage-950"},
	// A silent transmitter keeps the colour of its last level, striped.
	model.StatusPrevGood:     {"Last heard", "bg-good bg-stripes text-stage-950"},
	model.StatusPrevReplace:  {"Last heard", "bg-replace bg-stripes text-stage-950"},
	model.StatusPrevCritical: {"Last heard", "bg-critical bg-stripes text-stage-950"},
	model.StatusTxOff:        {"TX off", "bg-txoff text-stage-300 ring-1 ring-inset ring-white/10"},
	model.StatusUnassigned:   {"Unassigned", "bg-txoff text-stage-300 ring-1 ring-inset ring-white/5"},
	model.StatusRxOffline:    {"RX offline", "bg-offline text-white"},
}

// newTileView formats a live tile. A clip (AUDIO_PEAK) is a pulse over the
// colour the battery would give, not a colour of its own.
func newTileView(t *live.Tile, opts tileOptions, now time.Time) tileView {
	v := tileView{
		ID: t.ChannelID, Slot: t.Slot, Name: t.Name, Performer: t.Performer, Receiver: t.ReceiverName,
		Status: string(t.Status), TxModel: t.TxModel, Muted: t.Muted, Opts: opts, Channel: t.Number,
		DeviceName: t.DeviceName,
	}
	if v.Name == "" {
		v.Name = fmt.Sprintf("%s ch %d", t.ReceiverName, t.Number)
	}
	colour := tileColour(t, now)
	v.Peak = t.Status == model.StatusAudioPeak
	st := statusStyle[colour]
	if st.Class == "" {
		st = statusStyle[model.StatusTxOff]
	}
	// The badge keeps the status word; a clip is a mark of its own.
	v.Label, v.Class, v.Striped = st.Label, st.Class, colour.Striped()
	v.BadgeClass = "bg-black/25"
	if strings.Contains(v.Class, "text-stage-950") {
		v.BadgeClass = "bg-white/35" // dark text: a lighter badge keeps its contrast
	}
	// The badge keeps the status word; a clip is a mark of its own.
	v.BaseStatus = string(colour)
	v.Offline = colour == model.StatusRxOffline
	if v.Offline && t.OfflineSince != nil {
		v.OfflineAt, v.OfflineISO = clockAt(*t.OfflineSince, now), t.OfflineSince.UTC().Format(time.RFC3339)
	}
	if t.UnwatchedSince != nil {
		v.Unwatched = true
		v.UnwatchedAt, v.UnwatchedISO = secondAt(*t.UnwatchedSince, now), t.UnwatchedSince.UTC().Format(time.RFC3339)
	}
	v.Attention = t.NeedsAttention()
	v.Severity = t.Status.Severity()

	// Battery: the current reading, or the last known one while silent.
	b := t.Battery
	if !b.Known() && colour.Striped() {
		b = t.LastBattery
	}
	v.BarsText = "level unknown"
	if n, ok := batteryBars(b); ok {
		v.BarsKnown = true
		v.BarsText = fmt.Sprintf("%d of 5 bars", min(max(n, 0), 5))
		for i := 0; i < n && i < 5; i++ {
			v.Bars[i] = true
		}
	}
	v.Battery = batteryText(t, b)
	if t.FrequencyKHz != nil {
		v.Frequency = fmt.Sprintf("%d.%03d", *t.FrequencyKHz/1000, *t.FrequencyKHz%1000)
	}
	if colour.Striped() || colour == model.StatusTxOff {
		v.LastHeard = t.LastHeard
	}
	if !v.Offline {
		v.Antennas = antennas(t)
		if m, ok := t.RFMax(); ok {
			v.RFText = fmt.Sprintf("%.0f dBm", m)
		}
		if t.AudioDBFS != nil {
			v.AudioPct = scale(*t.AudioDBFS, -60, 0)
			v.AudioText = fmt.Sprintf("%.0f dBFS", *t.AudioDBFS)
		}
	}
	v.Meters = tileMeters(t, opts, v.Offline)
	return v
}

// tileColour is the status a tile is coloured by: its status, or beneath a
// clip's pulse the colour the battery would give.
func tileColour(t *live.Tile, now time.Time) model.Status {
	if t.Status != model.StatusAudioPeak {
		return t.Status
	}
	if t.Base != "" {
		return t.Base
	}
	// A snapshot made outside the board.
	return model.DeriveHealth(model.StatusInput{
		Now: now, ReceiverOnline: t.Online, Battery: t.Battery, LastBattery: t.LastBattery, LastHeard: t.LastHeard,
		NoBattery: !t.DeviceType.ReportsBattery(),
	}).Base
}

// shownBattery is the battery text a tile draws: the current reading, or
// the last known one while the pack is silent.
func shownBattery(t *live.Tile, now time.Time) string {
	return batteryText(t, shownBatteryOf(t, now))
}

// shownBatteryOf is the battery a tile shows: its own, or the last known
// one under the stripes of a transmitter gone quiet.
func shownBatteryOf(t *live.Tile, now time.Time) model.Battery {
	if !t.Battery.Known() && tileColour(t, now).Striped() {
		return t.LastBattery
	}
	return t.Battery
}

// liveLine is a tile's meter line as it stands: its meters and its battery
// text, the parts of a tile that move without a state change. The stream
// hub draws one per metered channel per tick (5,000 a second for 1,000
// channels metered ten times a second), so it is built on the stack and
// allocates only the string it returns.
func liveLine(t *live.Tile, opts tileOptions, now time.Time) string {
	var rows [8]meterRow
	var text, line [96]byte
	battery := appendBatteryText(text[:0], t, shownBatteryOf(t, now))
	return string(appendMeterLine(line[:0], t.ChannelID, appendTileMeters(rows[:0], t, opts, offline(t)), battery, t.Status == model.StatusAudioPeak))
}

// meterRow is one meter of a tile: a label and a bar.
type meterRow struct {
	Label  string
	Pct    int
	Active bool // false draws the bar dimmed (an antenna without signal)
	Bar    bool // false: no reading yet, an empty track
}

// tileMeters lays out a tile's meters: RF per antenna, then audio, each
// quantised to meterStep. The page and the live meter updates both draw from
// these rows, and the stream builds them without formatting the rest of the
// tile, so a meter sample never costs a tile rendering.
func tileMeters(t *live.Tile, opts tileOptions, offline bool) []meterRow {
	return appendTileMeters(nil, t, opts, offline)
}

// appendTileMeters is tileMeters appending to rows.
func appendTileMeters(rows []meterRow, t *live.Tile, opts tileOptions, offline bool) []meterRow {
	if t.InEar() {
		return append(rows, iemMeters(t, opts, offline)...)
	}
	if offline {
		return rows
	}
	if opts.ShowRF {
		var buf [4]antennaView
		ants := appendAntennas(buf[:0], t)
		for _, a := range ants {
			rows = append(rows, meterRow{Label: a.Label, Pct: quantise(a.Pct), Active: a.Active, Bar: true})
		}
		if len(ants) == 0 {
			rows = append(rows, meterRow{Label: "RF"})
		}
	}
	if opts.ShowAudio {
		pct := 0
		if t.AudioDBFS != nil {
			pct = scale(*t.AudioDBFS, -60, 0)
		}
		rows = append(rows, meterRow{Label: "AF", Pct: quantise(pct), Active: true, Bar: true})
	}
	return rows
}

// meterStep is the meters' resolution in percent: a step is 2-4 px on the
// widest tile, finer than a person reads a bar, and a value that wobbles
// within one step sends nothing.
const meterStep = 2

func quantise(pct int) int {
	return min(100, (pct+meterStep/2)/meterStep*meterStep)
}

// runtimeMark starts the battery text (and the clip mark) at the end of a
// meter line.
const runtimeMark = " ~"

// meterLine encodes a tile's meters, battery text and clip pulse for the
// live stream's batched "meters" event: "ID LABEL:PCT[x] ... ~TEXT[ !]"
// (x: dimmed; PCT "-": no bar; spaces in TEXT as "_"; "!": clipping).
// About 25 bytes instead of a 1 KB tile per sample, and a pack counting
// down its minutes or a singer clipping costs no tile either.
func meterLine(id int64, rows []meterRow, battery string, peak bool) string {
	return string(appendMeterLine(nil, id, rows, []byte(battery), peak))
}

// appendMeterLine is meterLine appending to b.
func appendMeterLine(b []byte, id int64, rows []meterRow, battery []byte, peak bool) []byte {
	b = strconv.AppendInt(b, id, 10)
	for _, r := range rows {
		b = append(b, ' ')
		b = append(b, r.Label...)
		b = append(b, ':')
		if !r.Bar {
			b = append(b, '-')
			continue
		}
		b = strconv.AppendInt(b, int64(r.Pct), 10)
		if !r.Active {
			b = append(b, 'x')
		}
	}
	b = append(b, runtimeMark...)
	for _, c := range battery {
		if c == ' ' {
			c = '_'
		}
		b = append(b, c)
	}
	if peak {
		b = append(b, " !"...)
	}
	return b
}

// cutRuntime splits a meter line into its meters and its battery text and
// clip mark (as encoded).
func cutRuntime(line string) (meters, battery string) {
	if i := strings.LastIndex(line, runtimeMark); i >= 0 {
		return line[:i], line[i+len(runtimeMark):]
	}
	return line, ""
}

// wireLine is what goes on the wire for line to a page that shows last:
// the labels it has and a battery text and clip mark that did not move are
// left out.
func wireLine(last, line string) string {
	if last == "" {
		return line
	}
	lastMeters, lastBattery := cutRuntime(last)
	meters, battery := cutRuntime(line)
	out := meters
	if sameLabels(lastMeters, meters) {
		out = withoutLabels(meters)
	}
	if battery != lastBattery {
		out += runtimeMark + battery
	}
	return out
}

// sameLabels reports whether two meter lines label their rows alike, so the
// second can go out without its labels (the page keeps the ones it shows).
func sameLabels(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	if len(fa) != len(fb) {
		return false
	}
	for i := 1; i < len(fa); i++ {
		la, _, _ := strings.Cut(fa[i], ":")
		lb, _, _ := strings.Cut(fb[i], ":")
		if la != lb {
			return false
		}
	}
	return true
}

// withoutLabels shortens a meter line to "ID PCT[x] ...": at 1,000 channels
// sampled ten times a second the labels would be a third of the bytes.
func withoutLabels(line string) string {
	var b strings.Builder
	b.Grow(len(line))
	for i, f := range strings.Fields(line) {
		if i > 0 {
			b.WriteByte(' ')
			if _, v, ok := strings.Cut(f, ":"); ok {
				f = v
			}
		}
		b.WriteString(f)
	}
	return b.String()
}

// batteryBars gives the bars to light (model.Battery.BarsLeft): the
// device's bars, else the band its percent falls in on the status's own
// thresholds, so a pack at 60 % never shows the three bars of "replace".
func batteryBars(b model.Battery) (int, bool) { return b.BarsLeft() }

func batteryText(t *live.Tile, b model.Battery) string {
	return string(appendBatteryText(nil, t, b))
}

// appendBatteryText is batteryText appending to dst: "5h 12m", "47m",
// "80%", "calculating" or "—".
func appendBatteryText(dst []byte, t *live.Tile, b model.Battery) []byte {
	switch {
	case b.Minutes != nil:
		h, m := *b.Minutes/60, *b.Minutes%60
		if h == 0 {
			return append(strconv.AppendInt(dst, int64(m), 10), 'm')
		}
		dst = append(strconv.AppendInt(dst, int64(h), 10), "h "...)
		if m < 10 && m >= 0 {
			dst = append(dst, '0')
		}
		return append(strconv.AppendInt(dst, int64(m), 10), 'm')
	case t.Battery.Known() && t.Runtime == device.RuntimeCalculating:
		return append(dst, "calculating"...)
	case b.Percent != nil:
		return append(strconv.AppendInt(dst, int64(*b.Percent), 10), '%')
	}
	return append(dst, "—"...)
}

// antennas lays out the RF meters: one per antenna where the receiver
// reports levels per antenna, else one level with the diversity letters.
func antennas(t *live.Tile) []antennaView {
	return appendAntennas(nil, t)
}

// appendAntennas is antennas appending to out.
func appendAntennas(out []antennaView, t *live.Tile) []antennaView {
	labels := "ABCD"
	if len(t.RFLevelDBm) > 1 {
		for i, dbm := range t.RFLevelDBm {
			if i >= len(labels) {
				break
			}
			active := i >= len(t.Diversity) || (t.Diversity[i] != 'X' && t.Diversity[i] != 'x')
			out = append(out, antennaView{Label: labels[i : i+1], Pct: scale(dbm, -100, -20), Active: active})
		}
		return out
	}
	m, ok := t.RFMax()
	if !ok {
		return out
	}
	label := "RF"
	if d := t.Diversity; len(d) == 2 {
		// ULX-D names the antenna carrying signal: AX, XB, XX.
		switch {
		case d[0] != 'X' && d[1] != 'X':
			label = "AB"
		case d[0] != 'X':
			label = "A"
		case d[1] != 'X':
			label = "B"
		default:
			label = "—"
		}
	}
	return append(out, antennaView{Label: label, Pct: scale(m, -100, -20), Active: label != "—"})
}

// scale maps v from [lo, hi] to 0–100, clamped.
func scale(v, lo, hi float64) int {
	p := (v - lo) / (hi - lo) * 100
	return int(math.Round(math.Max(0, math.Min(100, p))))
}

// clockAt says when t was as a wall clock reads it: "21:14", with the date
// once it is more than 20 hours ago.
func clockAt(t, now time.Time) string {
	t = t.Local()
	if now.Sub(t) > 20*time.Hour {
		return t.Format("Jan 2 15:04")
	}
	return t.Format("15:04")
}

// secondAt is clockAt to the second ("21:14:05"): how the stale banner
// says when data stopped.
func secondAt(t, now time.Time) string {
	t = t.Local()
	if now.Sub(t) > 20*time.Hour {
		return t.Format("Jan 2 15:04:05")
	}
	return t.Format("15:04:05")
}

// ago says how long ago t was, the way a person on a headset says it.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return t.Format("Jan 2 15:04")
}
