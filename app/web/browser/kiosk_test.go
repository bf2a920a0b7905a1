package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"micboard/app/model"
	"micboard/app/service"
)

// newKiosk creates a wall display with a 5 s heartbeat (the shortest
// allowed) and returns its secret token.
func newKiosk(ctx context.Context, t *testing.T, s *stack, name string) string {
	t.Helper()
	_, token, err := service.NewKiosks(s.St).Create(ctx, service.KioskInput{
		Name: name, ShowRF: true, ShowAudio: true, Heartbeat: 5 * time.Second,
	})
	if err != nil {
		t.Fatalf("create kiosk %q: %v", name, err)
	}
	return token
}

// TestKiosk: a wall display's URL shows the board with no login and no
// chrome, hides the cursor, follows the devices live, and turns into the
// "revoked" page by itself when an admin revokes it.
func TestKiosk(t *testing.T) {
	const name = "Stage left wall"
	var token string
	browser := newBrowser(t, 1600, 1000)
	s := newStack(t, testModels, 21, func(ctx context.Context, s *stack) {
		token = newKiosk(ctx, t, s, name)
	})
	rx, ch := s.Rx[rxEWDX], 3
	id := s.channelID(rxEWDX, ch)
	must(t, rx.SetTxOff(ch, false))
	must(t, rx.SetBatteryBars(ch, 5))
	s.waitOnline()
	s.waitBoard("EW-DX ch 3 good", func() bool { return s.tileStatus(id) == model.StatusGood })

	p := openTab(t, browser, true) // a new browser context: no cookie, no session
	kioskURL := s.url("/kiosk/" + token)
	if resp := p.open(kioskURL); resp.Status != 200 {
		t.Fatalf("GET /kiosk/<token> = %d, want 200", resp.Status)
	}
	p.waitConn("live")
	if got := eval[int](p, `document.querySelectorAll('article[id^=tile-]').length`); got != s.channelCount() {
		t.Errorf("kiosk shows %d tiles, want %d", got, s.channelCount())
	}
	if got := eval[string](p, `document.querySelector('header span').textContent.trim()`); got != name {
		t.Errorf("kiosk header names %q, want %q", got, name)
	}
	// No site chrome: no navigation, no links, no footer, nothing to click.
	if got := eval[int](p, `document.querySelectorAll('nav, footer, a[href], form, button, [data-detail], [role=button]').length`); got != 0 {
		html := eval[string](p, `[...document.querySelectorAll('nav, footer, a[href], form, button, [data-detail], [role=button]')].map(e => e.outerHTML.slice(0, 120)).join('\n')`)
		t.Errorf("kiosk has %d chrome or interactive elements:\n%s", got, html)
	}
	for _, sel := range []string{"body", tileSel(id)} {
		if got := eval[string](p, `getComputedStyle(document.querySelector(`+jsString(sel)+`)).cursor`); got != "none" {
			t.Errorf("cursor over %s is %q, want none", sel, got)
		}
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.url("/"), kioskURL}})
	cancel()
	if err != nil {
		t.Fatalf("read cookies: %v", err)
	}
	for _, c := range cookies.Cookies {
		t.Errorf("kiosk set cookie %s: the URL must be the only credential", c.Name)
	}

	// Live.
	p.setMarker()
	must(t, rx.SetBatteryBars(ch, 1))
	p.waitStatus(id, string(model.StatusCritical))
	p.checkNoReload()

	// Revoked while running: the page notices (heartbeat 410 or the stream's
	// "revoked" event) and reloads into the revoked page.
	navs := p.Navigations()
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	if _, err := service.NewKiosks(s.St).Revoke(rctx, name); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	rcancel()
	p.waitFor("open kiosk switches to the revoked page",
		`document.querySelector('h1')?.textContent.trim() === 'This display was revoked'`,
		`document.body?.innerText.slice(0, 300) ?? 'no body'`, 20*time.Second)
	if p.Navigations() == navs {
		t.Error("revoked page shown without a navigation")
	}
	if got := eval[int](p, `document.querySelectorAll('article[id^=tile-]').length`); got != 0 {
		t.Errorf("revoked display still shows %d tiles", got)
	}

	// A revoked URL opened afresh: 410 and the same page.
	q := openTab(t, browser, true)
	resp := q.open(kioskURL)
	if resp.Status != 410 {
		t.Errorf("revoked kiosk URL = %d, want 410", resp.Status)
	}
	if got := eval[string](q, `document.body.innerText`); !strings.Contains(got, "This display was revoked") || !strings.Contains(got, name) {
		t.Errorf("revoked page says %q", got)
	}
	// An unknown token is a plain 404, not the revoked page.
	if resp := q.open(s.url("/kiosk/" + strings.Repeat("A", 43))); resp.Status != 404 {
		t.Errorf("unknown kiosk token = %d, want 404", resp.Status)
	}
}

// TestKioskResumesAfterServerRestart: an open wall display shows that it
// lost the server, then picks up live updates again by itself once a new
// server answers on the same address, with no reload.
func TestKioskResumesAfterServerRestart(t *testing.T) {
	var token string
	browser := newBrowser(t, 1600, 1000)
	s := newStack(t, testModels, 22, func(ctx context.Context, s *stack) {
		token = newKiosk(ctx, t, s, "FOH wall")
	})
	rx, ch := s.Rx[rxULXD], 3
	id := s.channelID(rxULXD, ch)
	must(t, rx.SetTxOff(ch, false))
	must(t, rx.SetBatteryBars(ch, 5))
	s.waitOnline()
	s.waitBoard("ULX-D ch 3 good", func() bool { return s.tileStatus(id) == model.StatusGood })

	p := openTab(t, browser, true)
	p.open(s.url("/kiosk/" + token))
	p.waitConn("live")
	p.waitStatus(id, string(model.StatusGood))
	p.setMarker()

	s.stop()
	s.waitPortClosed()
	p.waitConn("down")
	if got := eval[string](p, `document.querySelector('#conn .conn-text').textContent`); got != "Reconnecting…" {
		t.Errorf("badge says %q while the server is down, want Reconnecting…", got)
	}

	s.start()
	s.waitOnline()
	// The restarted board shows the stored state at once; wait until the
	// new monitor reads the receiver itself before changing it.
	must(t, rx.SetBatteryBars(ch, 3))
	s.waitBoard("restarted monitor reads ch 3", func() bool { return s.tileStatus(id) == model.StatusReplace })
	p.waitConn("live")
	p.waitStatus(id, string(model.StatusReplace))
	// The next change can only arrive over the resumed stream, not with the
	// grid the page fetches when it reconnects.
	must(t, rx.SetBatteryBars(ch, 1))
	p.waitStatus(id, string(model.StatusCritical))
	p.checkNoReload()
}
