package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"micboard/app/model"
	"micboard/app/service"
)

var (
	axeOnce sync.Once
	axeJS   string
	axeErr  error
)

// axeSource is axe-core from npm (a dev dependency: `make deps` installs
// it). It is put into the page by the test only; users never load it.
func axeSource(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			axeErr = err
			return
		}
		b, err := os.ReadFile(filepath.Join(root, "node_modules", "axe-core", "axe.min.js"))
		if err != nil {
			axeErr = fmt.Errorf("%w (`make deps` installs axe-core from npm)", err)
			return
		}
		axeJS = string(b)
	})
	if axeErr != nil {
		t.Fatalf("axe-core: %v", axeErr)
	}
	return axeJS
}

// checkAxe runs axe-core's WCAG 2.2 A/AA rules on the page and fails on
// any serious or critical violation.
func (p *tab) checkAxe(what string) {
	p.t.Helper()
	p.loadAxe()
	ctx, cancel := context.WithTimeout(p.ctx, 60*time.Second)
	defer cancel()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`axe.run(document, {
	    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
	    resultTypes: ['violations']})
	  .then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
	    .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.length + ' node(s): ' +
	      v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' ')).join(' | ')))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("axe on %s: %v", what, err)
	}
	for _, v := range found {
		if why, ok := axeKnown[strings.SplitN(v, " ", 2)[0]]; ok {
			p.t.Logf("axe, %s: known, not fixed yet (%s): %s", what, why, v)
			continue
		}
		p.t.Errorf("axe, %s: %s", what, v)
	}
}

// loadAxe puts axe-core into the page once.
func (p *tab) loadAxe() {
	p.t.Helper()
	src := axeSource(p.t)
	if !eval[bool](p, `typeof window.axe === 'object'`) {
		eval[chromedp.Void](p, src+"\n;void 0")
	}
}

// accName is the accessible name of the element sel finds, as axe-core
// computes it: what a screen reader calls it ("" when there is none).
func (p *tab) accName(sel string) string {
	p.t.Helper()
	p.loadAxe()
	return eval[string](p, fmt.Sprintf(`(() => {
	  const el = document.querySelector(%s);
	  if (!el) return '';
	  axe.setup(document);
	  try { return axe.commons.text.accessibleText(el); } finally { axe.teardown(); }
	})()`, jsString(sel)))
}

// axeKnown are findings still open, logged instead of failing so that any
// new finding fails the test. Remove an entry once it is fixed.
var axeKnown = map[string]string{}

// TestBoardAccessible: the board, its channel panel, the keys and QR boxes,
// a wall display and the console pass axe-core's WCAG 2.2 AA rules with no
// serious or critical violation; the panel keeps the focus while open,
// has its own address (/channels/{id}, which opened directly shows the
// board behind the panel) and says why the channel has its status; a
// channel turning critical is said in the polite live region; "?" shows the
// keys, "Q" a QR code of the view, and "0" clears the filters.
func TestBoardAccessible(t *testing.T) {
	browser := newBrowser(t, 1500, 1000)
	var token string
	s := newPrivateStack(t, testModels, 51, func(ctx context.Context, s *stack) {
		if _, err := service.NewUsers(s.St).Create(ctx, service.CLI,
			service.UserInput{Username: "ops", Password: "stage-manager", Role: model.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		token = newKiosk(ctx, t, s, "FOH wall")
	})
	rx, ch := s.Rx[rxULXD], 2
	id := s.channelID(rxULXD, ch)
	for i, r := range s.Rx {
		for n := 1; n <= r.Channels(); n++ {
			must(t, r.SetTxOff(n, false))
			must(t, r.SetBatteryBars(n, 4+(i+n)%2))
		}
	}
	must(t, s.Rx[rxEWDX].SetBatteryBars(1, 3)) // one to replace
	must(t, s.Rx[rxAD].SetTxOff(2, true))      // one last heard
	s.waitOnline()
	s.waitBoard("ULX-D ch 2 good", func() bool { return s.tileStatus(id) == model.StatusGood })

	p := openTab(t, browser, true)
	p.logInTo(s, "/")
	p.waitConn("live")
	p.checkAxe("the board")
	// A tile's name is what it draws, the battery's level with it.
	name := p.accName(tileSel(id))
	text := func(part string) string {
		return eval[string](p, fmt.Sprintf(`document.querySelector(%s)?.textContent.trim() ?? ''`, jsString(tileSel(id)+" "+part)))
	}
	for _, want := range []string{text(".tile-slot"), text(".tile-name"), "Good", "of 5 bars", text(".tile-runtime")} {
		if want == "" || !strings.Contains(name, want) {
			t.Errorf("tile %d is named %q, which lacks %q", id, name, want)
		}
	}

	// The keys and the QR code.
	press := func(key string) {
		t.Helper()
		p.do("press "+key, chromedp.KeyEvent(key))
	}
	press("?")
	p.waitFor("the keys box", `!document.getElementById('help-overlay').hidden`, `document.getElementById('help-overlay').outerHTML.slice(0, 200)`, stepTimeout)
	p.checkAxe("the keys box")
	press("\u001b") // Escape
	p.waitFor("the keys box closes", `document.getElementById('help-overlay').hidden`, `''`, stepTimeout)
	press("q")
	p.waitFor("the QR code", `(() => { const i = document.querySelector('#qr-overlay img'); return !document.getElementById('qr-overlay').hidden && i.complete && i.naturalWidth > 0; })()`,
		`document.querySelector('#qr-overlay img').src`, stepTimeout)
	if got := eval[string](p, `document.querySelector('#qr-overlay [data-qr-url]').textContent`); got != s.url("/") {
		t.Errorf("the QR box names %q, want %q", got, s.url("/"))
	}
	press("\u001b")
	p.waitFor("the QR box closes", `document.getElementById('qr-overlay').hidden`, `''`, stepTimeout)

	// The panel: opened from the keyboard, addressed, focus kept inside.
	eval[chromedp.Void](p, `document.querySelector('`+tileSel(id)+`').focus()`)
	press("\r")
	p.waitFor("the panel", `document.querySelector('#detail [role=dialog]') !== null`, `document.getElementById('detail').innerHTML.slice(0, 200)`, stepTimeout)
	p.waitFor("the panel's address", fmt.Sprintf(`location.pathname === '/channels/%d'`, id), `location.href`, stepTimeout)
	if why := eval[string](p, `document.querySelector('#detail [data-reason]')?.textContent.trim() ?? ''`); !strings.Contains(why, "of 5 bars") {
		t.Errorf("the panel says why %q, want the bars named", why)
	}
	p.checkAxe("the channel panel")
	for i := 0; i < 25; i++ {
		press("\t")
		if !eval[bool](p, `document.querySelector('#detail [role=dialog]').contains(document.activeElement)`) {
			t.Fatalf("Tab %d left the panel for %s", i+1, eval[string](p, `document.activeElement.outerHTML.slice(0, 120)`))
		}
	}
	press("\u001b")
	p.waitFor("the panel closes", `document.querySelector('#detail [role=dialog]') === null`, `''`, stepTimeout)
	p.waitFor("the board's address again", `location.pathname === '/'`, `location.href`, stepTimeout)
	if got := eval[string](p, `document.activeElement.id`); got != tileSel(id)[1:] {
		t.Errorf("after the panel closed the focus is on %q, want the tile", got)
	}

	// Opened directly: the board behind the open panel.
	p.open(s.url(fmt.Sprintf("/channels/%d", id)))
	p.waitConn("live")
	if !eval[bool](p, `document.getElementById('grid') !== null && document.querySelector('#detail [role=dialog]') !== null`) {
		t.Errorf("/channels/%d opened directly does not show the board behind the panel", id)
	}
	press("\u001b")
	p.waitFor("the board's address", `location.pathname === '/'`, `location.href`, stepTimeout)

	// The live region says a channel turned critical.
	must(t, rx.SetBatteryBars(ch, 1))
	p.waitStatus(id, string(model.StatusCritical))
	p.waitFor("the announcement", `document.getElementById('announcer').textContent.includes('critical')`,
		`document.getElementById('announcer').textContent`, liveTimeout)
	p.checkAxe("the board with a critical channel")

	// Filters show as chips; 0 clears them all.
	p.open(s.url("/?status=attention&vendor=shure"))
	p.waitConn("live")
	if got := eval[int](p, `document.querySelectorAll('nav .chip-on, nav .chip-warn').length`); got < 2 {
		t.Errorf("%d chips on for two filters", got)
	}
	press("0")
	p.waitFor("every channel again", `location.search === '' || location.search === '?'`, `location.href`, stepTimeout)

	// A wall display and the console.
	k := openTab(t, browser, true)
	k.open(s.url("/kiosk/" + token))
	k.waitConn("live")
	k.checkAxe("a wall display")
	for _, path := range []string{"/admin", "/admin/receivers", "/admin/kiosks", "/alerts"} {
		p.open(s.url(path))
		p.checkAxe(path)
	}
}
