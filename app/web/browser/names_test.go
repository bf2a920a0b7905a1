package browser

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"micboard/app/model"
	"micboard/app/service"
)

// TestNamesRenderAsText: names from devices, operators and performers are
// shown as text wherever they appear (tile, live update, detail panel, page
// title, kiosk header), never run as markup.
func TestNamesRenderAsText(t *testing.T) {
	const (
		scriptName = `<script>alert(1)</script>`
		imgName    = `"Dan's" <img src=x onerror=alert(2)>`
		unicode    = `Zoë 张伟`
		performer  = `<svg onload=alert(3)>`
		kioskName  = `<script>alert(4)</script> wall`
		liveName   = `"Dan's" & Co` // the simulator refuses < and > like a real receiver
		rackName   = `Rack "A" & 'B'`
	)
	var token string
	browser := newBrowser(t, 1600, 1000)
	s := newStack(t, testModels, 31, func(ctx context.Context, s *stack) {
		// Receivers store only printable ASCII without < >, so markup and
		// non-Latin names come from the operator's override names.
		for n, name := range []string{"HH90 " + scriptName, "HH91 " + imgName, "HH92 " + unicode} {
			if err := s.St.Channels.SetOverrideName(ctx, s.channelID(rxEWDX, n+1), name); err != nil {
				t.Fatalf("override name: %v", err)
			}
		}
		p := &model.Performer{Name: performer, Active: true}
		if err := s.St.Performers.Create(ctx, p); err != nil {
			t.Fatalf("create performer: %v", err)
		}
		if _, err := service.NewAssignments(s.St).Create(ctx, service.AssignmentInput{PerformerID: p.ID, ChannelID: s.channelID(rxEWDX, 2)}); err != nil {
			t.Fatalf("assign performer: %v", err)
		}
		token = newKiosk(ctx, t, s, kioskName)
	})
	s.waitOnline()
	p := openTab(t, browser, false)
	p.open(s.url("/"))
	p.waitConn("live")

	checkClean := func(p *tab, where string) {
		t.Helper()
		// Only the layout's scripts, all files of our own (htmx, its SSE
		// extension, the CSRF header, the board's and the wall's): a name
		// never becomes a script.
		got := eval[[]string](p, `[...document.scripts].map(s => s.src ? new URL(s.src).pathname.replace(/\.[0-9a-f]+\./, '.') : 'inline: ' + s.textContent)`)
		if len(got) < 4 {
			t.Errorf("%s: scripts %q, want the layout's", where, got)
		}
		for _, src := range got {
			if !strings.HasPrefix(src, "/static/js/") {
				t.Errorf("%s: script %q is not one of the layout's files", where, src)
			}
		}
		if got := eval[int](p, `document.querySelectorAll('#live img, #detail img, [onerror], [onload]').length`); got != 0 {
			t.Errorf("%s: %d elements made from a name", where, got)
		}
		if d := p.Dialogs(); len(d) > 0 {
			t.Errorf("%s: a name opened dialogs %q", where, d)
		}
	}

	ids := []int64{s.channelID(rxEWDX, 1), s.channelID(rxEWDX, 2), s.channelID(rxEWDX, 3)}
	for i, want := range []string{scriptName, imgName, unicode} {
		got := p.tile(ids[i])
		if got.Name != want || got.Title != want {
			t.Errorf("tile %d shows name %q (title %q), want %q", ids[i], got.Name, got.Title, want)
		}
		if got.Slot != []string{"HH90", "HH91", "HH92"}[i] {
			t.Errorf("tile %d shows slot %q", ids[i], got.Slot)
		}
		if !strings.Contains(got.Aria, want) {
			t.Errorf("tile %d aria-label %q lacks %q", ids[i], got.Aria, want)
		}
	}
	checkClean(p, "board")

	// The same names through a live update (the SSE partial).
	rx := s.Rx[rxEWDX]
	must(t, rx.SetTxOff(1, false))
	must(t, rx.SetBatteryBars(1, 1))
	must(t, rx.SetTxOff(3, false))
	must(t, rx.SetBatteryPercent(3, 40)) // EW-DX reports percent: ≤ 50 % is REPLACE
	p.waitStatus(ids[0], string(model.StatusCritical))
	p.waitStatus(ids[2], string(model.StatusReplace))
	if got := p.tile(ids[0]).Name; got != scriptName {
		t.Errorf("live-updated tile shows %q, want %q", got, scriptName)
	}
	if got := p.tile(ids[2]).Name; got != unicode {
		t.Errorf("live-updated tile shows %q, want %q", got, unicode)
	}
	// A name the receiver itself reports, changed live.
	adID := s.channelID(rxAD, 1)
	must(t, s.Rx[rxAD].SetName(1, "HH93 "+liveName))
	must(t, s.Rx[rxAD].SetDeviceName(rackName))
	p.waitFor("live receiver name", `document.querySelector(`+jsString(tileSel(adID)+" .tile-name")+`)?.textContent === `+jsString(liveName), tileJS(adID), liveTimeout)
	checkClean(p, "board after live updates")

	// The detail panel: channel name and performer.
	// Clicked from script: the alert toasts this test raised may lie over
	// the tile, and what is tested here is the panel's text.
	eval[bool](p, `(document.querySelector(`+jsString(tileSel(ids[1]))+`).click(), true)`)
	p.waitFor("detail panel", `document.querySelector('#detail-title')`, `document.querySelector('#detail').innerHTML`, stepTimeout)
	if got := eval[string](p, `document.querySelector('#detail-title').textContent`); got != imgName {
		t.Errorf("detail title %q, want %q", got, imgName)
	}
	if got := eval[string](p, `document.querySelector('#detail').textContent`); !strings.Contains(got, performer) {
		t.Errorf("detail panel lacks the performer %q as text", performer)
	}
	if got := eval[int](p, `document.querySelectorAll('#detail svg').length`); got != 3 {
		t.Errorf("detail panel has %d svg elements, want the 3 charts", got)
	}
	checkClean(p, "detail panel")
	p.do("close the panel", chromedp.Click(chromedp.CSS(`#detail button[data-close]`)))

	s.waitBoard("receiver renamed", func() bool { tl, _ := s.srv.Board.Tile(adID); return tl.ReceiverName == rackName })
	// From script on a fresh query: the rename redraws the receiver's tiles,
	// and a tile looked up before a redraw is gone when it is clicked.
	p.waitFor("the AD tile after the rename", `!!document.querySelector(`+jsString(tileSel(adID))+`)`, `document.getElementById('grid').outerHTML.slice(0, 300)`, stepTimeout)
	eval[bool](p, `(document.querySelector(`+jsString(tileSel(adID))+`).click(), true)`)
	p.waitFor("AD detail panel", `document.querySelector('#detail-title')?.textContent === `+jsString(liveName), `document.querySelector('#detail').innerHTML`, stepTimeout)
	if got := eval[string](p, `document.querySelector('#detail p').textContent`); got != "HH93 · "+rackName+" ch 1" {
		t.Errorf("detail subtitle %q, want receiver name as text", got)
	}
	checkClean(p, "AD detail panel")

	// The channel page on its own: the name is in the title too.
	p.open(s.url("/channels/" + strconv.FormatInt(ids[0], 10)))
	if got := eval[string](p, `document.title`); !strings.HasPrefix(got, scriptName+" · ") {
		t.Errorf("channel page title %q, want it to start with %q", got, scriptName)
	}
	checkClean(p, "channel page")

	// A kiosk named with markup.
	k := openTab(t, browser, true)
	k.open(s.url("/kiosk/" + token))
	k.waitConn("live")
	if got := eval[string](k, `document.querySelector('header span').textContent.trim()`); got != kioskName {
		t.Errorf("kiosk header %q, want %q", got, kioskName)
	}
	if got := eval[string](k, `document.title`); !strings.HasPrefix(got, kioskName) {
		t.Errorf("kiosk title %q, want it to start with %q", got, kioskName)
	}
	checkClean(k, "kiosk")
}
