package browser

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"micboard/app/device/sim"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/service"
)

var slotID = regexp.MustCompile(`^[A-Z]+[0-9]+$`)

// TestBoardShowsEveryChannel: the board at / draws one tile per registered
// channel, named as the receiver names it ("HH01 Fatai" → slot HH01, name
// Fatai), and says it is live.
func TestBoardShowsEveryChannel(t *testing.T) {
	browser := newBrowser(t, 1600, 1000) // first: without chromium the test skips before any set-up
	s := newStack(t, testModels, 11, nil)
	s.waitOnline()
	p := openTab(t, browser, false)

	if resp := p.open(s.url("/")); resp.Status != 200 {
		t.Fatalf("GET / = %d, want 200", resp.Status)
	}
	p.waitConn("live")
	if got := eval[string](p, `document.querySelector('#conn .conn-text').textContent`); got != "Live" {
		t.Errorf("connection badge says %q, want Live", got)
	}
	want := s.channelCount()
	if want != 10 {
		t.Fatalf("fleet has %d channels, want 10", want)
	}
	if got := eval[int](p, `document.querySelectorAll('article[id^=tile-]').length`); got != want {
		t.Fatalf("board shows %d tiles, want %d", got, want)
	}
	summary := eval[string](p, `document.querySelector('#live p').textContent.replace(/\s+/g, ' ')`)
	if !strings.Contains(summary, fmt.Sprintf("%d channels", want)) {
		t.Errorf("summary %q does not count %d channels", summary, want)
	}

	seen := map[string]bool{}
	for i, rx := range s.Rx {
		for _, ch := range rx.State().Channels {
			id := s.channelID(i, ch.Channel)
			slot, name, _ := strings.Cut(ch.Name, " ")
			if !slotID.MatchString(slot) {
				t.Fatalf("simulator name %q has no slot id", ch.Name)
			}
			// Wait for a live status: the page follows the monitor.
			p.waitStatus(id, "!"+string(model.StatusRxOffline))
			got := p.tile(id)
			if got.Slot != slot || got.Name != name {
				t.Errorf("%s ch %d (%q): tile shows slot %q name %q, want %q %q", rx.State().Model, ch.Channel, ch.Name, got.Slot, got.Name, slot, name)
			}
			if got.Status == "" || got.Badge == "" {
				t.Errorf("tile %d has no status (%s)", id, got)
			}
			seen[slot] = true
		}
	}
	if len(seen) != want {
		t.Errorf("slots %v are not distinct", seen)
	}
}

// TestBatteryDrainTurnsTileCritical: a transmitter drained to one bar turns
// its tile CRITICAL in the open page, with no reload.
func TestBatteryDrainTurnsTileCritical(t *testing.T) {
	browser := newBrowser(t, 1600, 1000)
	s := newStack(t, testModels, 12, nil)
	rx, ch := s.Rx[rxAD], 2
	id := s.channelID(rxAD, ch)
	must(t, rx.SetTxOff(ch, false))
	must(t, rx.SetBatteryBars(ch, 5))
	s.waitOnline()
	s.waitBoard("AD ch 2 good", func() bool { return s.tileStatus(id) == model.StatusGood })

	p := openTab(t, browser, false)
	p.open(s.url("/"))
	p.waitConn("live")
	p.waitStatus(id, string(model.StatusGood))
	if got := p.tile(id); got.Bars != 5 {
		t.Errorf("full battery shows %d bars, want 5 (%s)", got.Bars, got)
	}
	p.setMarker()
	navs := p.Navigations()

	must(t, rx.SetTxOff(ch, false))
	must(t, rx.SetBatteryBars(ch, 1))
	p.waitStatus(id, string(model.StatusCritical))
	got := p.tile(id)
	if got.Bars != 1 || got.Badge != "Critical" || !strings.Contains(got.Aria, "Critical") {
		t.Errorf("critical tile shows %s, want 1 bar and a Critical badge", got)
	}
	p.checkNoReload()
	if n := p.Navigations(); n != navs {
		t.Errorf("the page navigated %d times during a live update", n-navs)
	}
	// Meters follow too, in their own smaller updates: -6 dBFS is 90 % of
	// the audio meter's -60..0 dBFS.
	must(t, rx.SetAudio(ch, -6))
	af := fmt.Sprintf(`[...document.querySelectorAll('#m-%d > span')].find(e => e.textContent === 'AF')?.nextElementSibling.firstElementChild.style.width`, id)
	p.waitFor("audio meter at 90%", af+` === '90%'`, af, liveTimeout)
	p.checkNoReload()

	// The other tiles stay as they were.
	for n := 1; n <= 4; n++ {
		if st := p.tile(s.channelID(rxULXD, n)).Status; st == string(model.StatusRxOffline) {
			t.Errorf("ULX-D ch %d shows %s", n, st)
		}
	}
}

// TestReceiverDropAndRestore: a receiver that drops off the network turns
// its tiles RX_OFFLINE in the open page and on a wall, saying since when,
// and back when it returns.
func TestReceiverDropAndRestore(t *testing.T) {
	browser := newBrowser(t, 1600, 1000)
	var token string
	s := newStack(t, testModels, 13, func(ctx context.Context, s *stack) {
		token = newKiosk(ctx, t, s, "Monitor world")
	})
	s.waitOnline()
	p := openTab(t, browser, false)
	p.open(s.url("/"))
	p.waitConn("live")
	wall := openTab(t, browser, true)
	wall.open(s.url("/kiosk/" + token))
	wall.waitConn("live")
	ulxd := make([]int64, 0, 4)
	for n := 1; n <= 4; n++ {
		id := s.channelID(rxULXD, n)
		ulxd = append(ulxd, id)
		p.waitStatus(id, "!"+string(model.StatusRxOffline))
	}
	p.setMarker()

	dropped := time.Now().Add(-time.Second).Truncate(time.Second)
	s.Rx[rxULXD].Drop(0)
	since := regexp.MustCompile(`^offline since \d\d:\d\d$`)
	for _, id := range ulxd {
		for _, tab := range []*tab{p, wall} {
			tab.waitStatus(id, string(model.StatusRxOffline))
			if got := tab.tile(id); got.Badge != "RX offline" {
				t.Errorf("offline tile %d badge %q, want RX offline", id, got.Badge)
			}
			got := eval[[]string](tab, fmt.Sprintf(`(() => { const e = document.querySelector(%s);
			  return e ? [e.textContent.trim().replace(/\s+/g, ' '), e.querySelector('time').getAttribute('datetime'), String(e.getBoundingClientRect().height)] : []; })()`,
				jsString(tileSel(id)+" .tile-since")))
			if len(got) != 3 || !since.MatchString(got[0]) || got[2] == "0" {
				t.Errorf("offline tile %d says %q, want \"offline since hh:mm\", visible", id, got)
				continue
			}
			if at, err := time.Parse(time.RFC3339, got[1]); err != nil || at.Before(dropped) || at.After(time.Now()) {
				t.Errorf("offline tile %d offline since %q, want after %s", id, got[1], dropped.Format(time.RFC3339))
			}
		}
	}
	for n := 1; n <= 2; n++ {
		if st := p.tile(s.channelID(rxAD, n)).Status; st == string(model.StatusRxOffline) {
			t.Errorf("AD ch %d went offline with the ULX-D", n)
		}
	}

	must(t, s.Rx[rxULXD].Restore())
	for _, id := range ulxd {
		p.waitStatus(id, "!"+string(model.StatusRxOffline))
		if n := eval[int](p, fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(tileSel(id)+" .tile-since"))); n != 0 {
			t.Errorf("tile %d back online still says since when it was offline", id)
		}
	}
	p.checkNoReload()
	p.waitConn("live")
}

// TestDetailPanelAndGroupKeys: a click on a tile opens the channel's detail
// panel (name and three history charts), Escape closes it, and the number
// key 1 opens group 1.
func TestDetailPanelAndGroupKeys(t *testing.T) {
	var group []int64
	browser := newBrowser(t, 1600, 1000)
	s := newStack(t, testModels, 14, func(ctx context.Context, s *stack) {
		group = []int64{s.channelID(rxEWDX, 2), s.channelID(rxULXD, 1), s.channelID(rxAD, 2)}
		if _, err := service.NewGroups(s.St).Save(ctx, 1, "Vox", group); err != nil {
			t.Fatalf("save group: %v", err)
		}
	})
	s.waitOnline()
	p := openTab(t, browser, false)
	p.open(s.url("/"))
	p.waitConn("live")

	id := s.channelID(rxAD, 1)
	p.waitStatus(id, "!"+string(model.StatusRxOffline))
	name := p.tile(id).Name
	// A real pointer click, retried: a receiver's first facts redraw its
	// tiles just after it comes online, and a tile looked up before a
	// redraw is gone when clicked.
	p.clickFresh("click a tile", tileSel(id))
	p.waitFor("detail panel", `document.querySelector('#detail [role=dialog]')`, `document.querySelector('#detail').innerHTML`, stepTimeout)
	if got := eval[string](p, `document.querySelector('#detail-title').textContent`); got != name {
		t.Errorf("detail title %q, want the tile's name %q", got, name)
	}
	if got := eval[int](p, `document.querySelectorAll('#detail svg').length`); got != 3 {
		t.Errorf("detail panel has %d charts, want 3", got)
	}
	if got := eval[string](p, `document.activeElement?.getAttribute('aria-label') ?? ''`); got != "Close" {
		t.Errorf("focus is on %q after opening the panel, want the Close button", got)
	}

	p.do("press Escape", chromedp.KeyEvent(kb.Escape))
	p.waitFor("detail panel closed", `document.querySelector('#detail').children.length === 0`, `document.querySelector('#detail').innerHTML`, stepTimeout)
	if got := eval[string](p, `location.pathname + location.search`); got != "/" {
		t.Fatalf("Escape left the board: %s", got)
	}
	if got := eval[string](p, `'#' + document.activeElement?.id`); got != tileSel(id) {
		t.Errorf("focus after closing the panel is on %s, want back on the tile %s", got, tileSel(id))
	}

	// The keyboard way: Enter on a focused tile.
	other := s.channelID(rxEWDX, 4)
	otherName := p.tile(other).Name
	p.do("focus a tile and press Enter", chromedp.Focus(chromedp.CSS(tileSel(other))), chromedp.KeyEvent(kb.Enter))
	p.waitFor("detail panel by keyboard", `document.querySelector('#detail-title')?.textContent === `+jsString(otherName),
		`document.querySelector('#detail').innerHTML`, stepTimeout)
	p.do("press Escape", chromedp.KeyEvent(kb.Escape))
	p.waitFor("detail panel closed", `document.querySelector('#detail').children.length === 0 && document.activeElement?.id === `+jsString(tileSel(other)[1:]),
		`document.activeElement?.outerHTML.slice(0, 200)`, stepTimeout)

	p.do("press 1", chromedp.KeyEvent("1"))
	p.waitFor("group 1 open", `location.search === '?group=1'`, `location.href`, stepTimeout)
	p.waitConn("live")
	want := make([]string, len(group))
	for i, id := range group {
		want[i] = tileSel(id)
	}
	got := eval[[]string](p, `[...document.querySelectorAll('article[id^=tile-]')].map(t => '#' + t.id)`)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("group 1 shows %v, want %v in group order", got, want)
	}
	if chip := eval[string](p, `document.querySelector('a.chip-on')?.textContent.replace(/\s+/g, ' ').trim() ?? ''`); chip != "1 Vox" {
		t.Errorf("highlighted chip %q, want \"1 Vox\"", chip)
	}
}

// TestReceiverRegisteredWhileOpen: a receiver registered while the board is
// open gets its tiles on the page (the stream asks the page to fetch its
// grid again), and those new tiles follow their devices live.
func TestReceiverRegisteredWhileOpen(t *testing.T) {
	browser := newBrowser(t, 1600, 1000)
	s := newStack(t, []string{"ad4d"}, 15, nil)
	s.waitOnline()
	p := openTab(t, browser, false)
	p.open(s.url("/"))
	p.waitConn("live")
	p.setMarker()

	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "ulxd4q", Seed: 15, Index: 1, Logger: s.log})
	must(t, err)
	t.Cleanup(func() { _ = rx.Stop() })
	must(t, rx.SetTxOff(2, false))
	must(t, rx.SetBatteryBars(2, 5))
	ep := rx.Endpoint()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reg, err := monitor.Register(ctx, s.St, ep.Vendor, ep.Host, ep.Port, nil)
	if err != nil {
		t.Fatalf("register a receiver while the board is open: %v", err)
	}
	chs, err := s.St.Channels.ByReceiver(ctx, reg.ID)
	if err != nil || len(chs) != 4 {
		t.Fatalf("new receiver's channels: %d, %v", len(chs), err)
	}
	p.waitFor("6 tiles", `document.querySelectorAll('article[id^=tile-]').length === 6`,
		`[...document.querySelectorAll('article[id^=tile-]')].map(t => t.id)`, liveTimeout)
	var id int64
	for _, c := range chs {
		if c.Number == 2 {
			id = c.ID
		}
	}
	p.waitStatus(id, string(model.StatusGood))
	must(t, rx.SetBatteryBars(2, 1))
	p.waitStatus(id, string(model.StatusCritical))
	p.checkNoReload()
}

// TestRuntimeCountsDownInPlace: a pack's minutes left count down in the
// open page without its tile being drawn again — the text travels with the
// meters, so a thousand packs ticking do not resend a thousand tiles.
func TestRuntimeCountsDownInPlace(t *testing.T) {
	browser := newBrowser(t, 1600, 1000)
	s := newStack(t, testModels, 12, nil)
	rx, ch := s.Rx[rxULXD], 1
	id := s.channelID(rxULXD, ch)
	must(t, rx.SetTxOff(ch, false))
	must(t, rx.SetBatteryType(ch, "LION")) // rechargeable packs report minutes
	must(t, rx.SetBatteryPercent(ch, 70))
	s.waitOnline()
	minutes := func() int {
		tile, ok := s.srv.Board.Tile(id)
		if !ok || tile.Battery.Minutes == nil {
			return -1
		}
		return *tile.Battery.Minutes
	}
	s.waitBoard("ULX-D ch 1 reports minutes", func() bool { return minutes() > 0 })
	before := minutes()

	p := openTab(t, browser, false)
	p.open(s.url("/"))
	p.waitConn("live")
	text := fmt.Sprintf(`document.querySelector('#tile-%d .tile-runtime').textContent`, id)
	p.waitFor("runtime drawn", fmt.Sprintf(`%s === %q`, text, runtimeText(before)), text, liveTimeout)
	eval[bool](p, fmt.Sprintf(`(document.getElementById('tile-%d').dataset.mark = 'kept') === 'kept'`, id))
	p.setMarker()

	must(t, rx.SetBatteryPercent(ch, 69)) // the same 4 bars, fewer minutes
	s.waitBoard("ULX-D ch 1 counts down", func() bool { return minutes() != before })
	after := minutes()
	p.waitFor("runtime counts down", fmt.Sprintf(`%s === %q`, text, runtimeText(after)), text, liveTimeout)
	if kept := eval[string](p, fmt.Sprintf(`document.getElementById('tile-%d').dataset.mark || ''`, id)); kept != "kept" {
		t.Errorf("the tile was drawn again for a minute less (mark %q)", kept)
	}
	// A clip pulses the tile and shows its mark in place too, and ends back
	// on its colour; the badge keeps its word throughout.
	badge := fmt.Sprintf(`document.querySelector('#tile-%d .tile-badge').textContent`, id)
	clip := fmt.Sprintf(`(document.querySelector('#tile-%d .tile-clip').offsetParent !== null)`, id)
	status := fmt.Sprintf(`document.getElementById('tile-%d').dataset.status`, id)
	must(t, rx.SetAudio(ch, -3))
	p.waitFor("clip pulses", fmt.Sprintf(`%s === 'AUDIO_PEAK' && %s && %s === 'Good'`, status, clip, badge), status, liveTimeout)
	must(t, rx.SetAudio(ch, -30))
	p.waitFor("clip ends", fmt.Sprintf(`%s === 'GOOD' && !%s && %s === 'Good'`, status, clip, badge), status, model.PeakHold+liveTimeout)
	if kept := eval[string](p, fmt.Sprintf(`document.getElementById('tile-%d').dataset.mark || ''`, id)); kept != "kept" {
		t.Errorf("the tile was drawn again for a clip (mark %q)", kept)
	}
	p.checkNoReload()
	// A reload draws the same text the stream did.
	p.open(s.url("/"))
	if got := eval[string](p, text); got != runtimeText(after) {
		t.Errorf("reloaded tile says %q, want %q", got, runtimeText(after))
	}
}

// runtimeText is how a tile writes minutes left.
func runtimeText(m int) string {
	if m < 60 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh %02dm", m/60, m%60)
}
