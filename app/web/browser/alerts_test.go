package browser

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"micboard/app/model"
	"micboard/app/service"
)

// TestAlertToastStripAndPhone: a pack assigned to a performer goes
// critical; the board shows a toast (announced politely, dismissible, the
// device's name as text, never as markup) which an operator acknowledges,
// a wall display shows the strip,
// the performer's phone link shows only that performer's channel with the
// alert; when the pack recovers the strip and the phone's alert clear.
func TestAlertToastStripAndPhone(t *testing.T) {
	var kioskToken, phoneToken string
	browser := newBrowser(t, 1600, 1000)
	const ch = 3
	s := newStack(t, testModels, 31, func(ctx context.Context, s *stack) {
		// A name with markup in it: it must show as text.
		must(t, s.Rx[rxULXD].SetName(ch, "HH03 <i>"))
		// The pack is full before the server first reads it: an alert raised
		// by the simulator's first values would hold back the one this test
		// raises (not twice within the repeat interval).
		must(t, s.Rx[rxULXD].SetTxOff(ch, false))
		must(t, s.Rx[rxULXD].SetBatteryBars(ch, 5))
		p := &model.Performer{Name: "Zoe", Active: true}
		must(t, s.St.Performers.Create(ctx, p))
		if _, err := service.NewAssignments(s.St).Create(ctx, service.AssignmentInput{PerformerID: p.ID, ChannelID: s.channelID(rxULXD, ch)}); err != nil {
			t.Fatalf("assign Zoe: %v", err)
		}
		kioskToken = newKiosk(ctx, t, s, "Stage left wall")
		if _, err := service.NewUsers(s.St).Create(ctx, service.CLI,
			service.UserInput{Username: "ops", Password: "stage-manager", Role: model.RoleOperator}); err != nil {
			t.Fatalf("operator: %v", err)
		}
		var err error
		if _, phoneToken, err = service.CreatePerformerLink(ctx, s.St, service.CLI, "Zoe"); err != nil {
			t.Fatalf("link Zoe: %v", err)
		}
	})
	rx := s.Rx[rxULXD]
	id := s.channelID(rxULXD, ch)
	must(t, rx.SetTxOff(ch, false))
	must(t, rx.SetBatteryBars(ch, 5))
	s.waitOnline()
	s.waitBoard("ULX-D ch 3 good", func() bool { return s.tileStatus(id) == model.StatusGood })

	board := openTab(t, browser, true)
	board.open(s.url("/"))
	board.waitConn("live")
	kiosk := openTab(t, browser, true)
	kiosk.open(s.url("/kiosk/" + kioskToken))
	kiosk.waitConn("live")
	phone := openTab(t, browser, true)
	phone.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	if resp := phone.open(s.url("/p/" + phoneToken)); resp.Status != 200 {
		t.Fatalf("GET /p/<token> = %d, want 200", resp.Status)
	}
	phone.waitConn("live")
	ops := openTab(t, browser, true)
	ops.logInTo(s, "/alerts")
	ops.open(s.url("/"))
	ops.waitConn("live")
	if got := eval[[]string](phone, `[...document.querySelectorAll('article[id^=tile-]')].map(e => e.id)`); len(got) != 1 || got[0] != "tile-"+strconv.FormatInt(id, 10) {
		t.Errorf("phone shows tiles %v, want only tile-%d", got, id)
	}
	// Large on a phone: the name across the screen, big enough to read at
	// arm's length (a wall's fitting must not shrink it).
	if px := eval[float64](phone, `parseFloat(getComputedStyle(document.querySelector('article[id^=tile-] .tile-name')).fontSize)`); px < 30 {
		t.Errorf("phone tile name is %.0f px, want a large tile", px)
	}
	if got := eval[bool](kiosk, `document.getElementById('alert-strip').hidden`); !got {
		t.Error("kiosk strip shows before any alert")
	}
	board.setMarker()

	must(t, rx.SetBatteryBars(ch, 1))
	const toast = `document.querySelector('#alert-toasts [data-alert-toast]')`
	board.waitFor("a critical toast on the board",
		toast+`?.dataset.severity === 'critical' && `+toast+`.textContent.includes('battery critical')`,
		`document.getElementById('alert-toasts')?.outerHTML`, liveTimeout)
	msg := eval[string](board, toast+`.querySelector('[data-alert-message]').textContent`)
	if !strings.HasPrefix(msg, "HH03 <i> — battery critical") {
		t.Errorf("toast says %q, want the name as text and the kind", msg)
	}
	if got := eval[int](board, `document.querySelectorAll('#alert-toasts i').length`); got != 0 {
		t.Errorf("the device's name became markup in the toast (%d <i>)", got)
	}
	if got := eval[string](board, `document.getElementById('alert-toasts').getAttribute('aria-live')`); got != "polite" {
		t.Errorf("toasts aria-live = %q, want polite", got)
	}
	// The toast takes its own room on the screen, in the page's flow (so
	// no tile scrolls beneath it either): no tile lies beneath it.
	if pos := eval[string](board, `getComputedStyle(document.getElementById('alert-toasts')).position`); pos != "static" && pos != "relative" {
		t.Errorf("the toasts are positioned %s: tiles pass beneath them", pos)
	}
	if got := eval[[]string](board, `(() => { const a = document.querySelector('#alert-toasts [data-alert-toast]').getBoundingClientRect();
	  const hidden = [...document.querySelectorAll('#grid > .tile')].filter(t => { const b = t.getBoundingClientRect();
	    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }).map(t => t.id);
	  return a.height > 0 && a.bottom <= window.innerHeight ? hidden : ['the toast is not on the screen']; })()`); len(got) != 0 {
		t.Errorf("the alert toast hides %q", got)
	}

	kiosk.waitFor("the critical strip on the kiosk",
		`!document.getElementById('alert-strip').hidden && document.querySelector('#alert-strip-list [data-alert-item]')?.textContent.includes('battery critical')`,
		`document.getElementById('alert-strip')?.outerHTML`, liveTimeout)
	if px := eval[float64](kiosk, `parseFloat(getComputedStyle(document.querySelector('#alert-strip-list [data-alert-item]')).fontSize)`); px < 28 {
		t.Errorf("strip text is %.0f px, too small to read from 5 m", px)
	}
	if w := eval[float64](kiosk, `document.getElementById('alert-strip').getBoundingClientRect().width / window.innerWidth`); w < 0.95 {
		t.Errorf("strip spans %.0f %% of the screen, want the full width", w*100)
	}
	// The strip grows with the screen as the tiles do.
	for _, size := range [][2]int64{{1920, 1080}, {3840, 2160}} {
		kiosk.do("wall viewport", chromedp.EmulateViewport(size[0], size[1]))
		got := eval[[]float64](kiosk, `(() => { const i = document.querySelector('#alert-strip-list [data-alert-item]');
		  return [parseFloat(getComputedStyle(i).fontSize), parseFloat(getComputedStyle(i.querySelector('.alert-badge')).fontSize), window.innerHeight]; })()`)
		if got[0] < 0.034*got[2] || got[1] < 0.018*got[2] {
			t.Errorf("at %dx%d the strip's text is %.0f px and its badge %.0f px, want 3.4 %% and 1.8 %% of the %.0f px height",
				size[0], size[1], got[0], got[1], got[2])
		}
	}
	kiosk.do("wall viewport back", chromedp.EmulateViewport(1600, 1000))
	phone.waitFor("the alert on the phone",
		`document.querySelector('#alert-strip-list [data-alert-item]')?.textContent.includes('battery critical')`,
		`document.body.innerText`, liveTimeout)

	if got := eval[int](board, `document.querySelectorAll('#alert-toasts [data-ack]').length`); got != 0 {
		t.Error("an anonymous board is offered to acknowledge")
	}

	// Dismissed by hand, the toast goes from that screen only.
	board.do("dismiss", chromedp.Click(chromedp.CSS(`#alert-toasts [data-dismiss]`)))
	board.waitFor("toast dismissed", toast+` === null`, `document.getElementById('alert-toasts')?.outerHTML`, stepTimeout)
	board.checkNoReload()

	// An operator acknowledges from the toast (htmx, with the CSRF token):
	// the toast goes, the alert is acknowledged by them, the wall says so.
	ops.waitFor("the toast with Acknowledge", toast+`?.querySelector('[data-ack]') != null`,
		`document.getElementById('alert-toasts')?.outerHTML`, liveTimeout)
	ops.do("acknowledge", chromedp.Click(chromedp.CSS(`#alert-toasts [data-ack]`)))
	ops.waitFor("toast gone after acknowledging", toast+` === null`, `document.getElementById('alert-toasts')?.outerHTML`, stepTimeout)
	kiosk.waitFor("the strip marks the alert acknowledged",
		`document.querySelector('#alert-strip-list [data-alert-item]')?.dataset.state === 'acknowledged'`,
		`document.getElementById('alert-strip')?.outerHTML`, liveTimeout)
	acked, err := s.St.Alerts.Query().InState(model.AlertAcknowledged).List(context.Background())
	if err != nil || len(acked) != 1 || acked[0].AcknowledgedByName != "ops" {
		t.Errorf("acknowledged alerts after the click: %d (%v)", len(acked), err)
	}

	// The pack is changed: the alert resolves, the strip and the phone clear.
	must(t, rx.SetBatteryBars(ch, 5))
	kiosk.waitFor("the strip clears", `document.getElementById('alert-strip').hidden`,
		`document.getElementById('alert-strip')?.outerHTML`, 2*liveTimeout)
	phone.waitFor("the phone's alert clears", `document.querySelector('#alert-strip-list [data-alert-item]') === null`,
		`document.body.innerText`, 2*liveTimeout)

	// Revoked: the open phone page is told, a fresh visit is 410.
	rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := service.RevokePerformerLinks(rctx, s.St, service.CLI, "Zoe", time.Now()); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	fresh := openTab(t, browser, true)
	if resp := fresh.open(s.url("/p/" + phoneToken)); resp.Status != 410 {
		t.Errorf("revoked phone link = %d, want 410", resp.Status)
	}
	if strings.Contains(s.logs.String(), phoneToken) {
		t.Error("the phone link's secret reached the log")
	}
}
