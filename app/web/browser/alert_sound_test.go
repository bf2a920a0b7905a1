package browser

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"micboard/app/model"
)

// TestAlertSound: the board's alert sound is off until switched on, the
// choice survives a reload (localStorage), alerts already open when the
// page loads and warnings make no sound, and a new critical alert plays
// the tone (the page's sound hook counts it) only while it is on.
func TestAlertSound(t *testing.T) {
	browser := newBrowser(t, 1600, 1000)
	// The packs are full before the server first reads them: an alert
	// raised by the simulator's first values would hold back the one this
	// test raises (not twice within the repeat interval).
	s := newStack(t, testModels, 47, func(_ context.Context, s *stack) {
		for ch := 1; ch <= 3; ch++ {
			must(t, s.Rx[rxULXD].SetTxOff(ch, false))
			must(t, s.Rx[rxULXD].SetBatteryBars(ch, 5))
		}
	})
	rx := s.Rx[rxULXD]
	s.waitOnline()
	a, b := s.channelID(rxULXD, 1), s.channelID(rxULXD, 2)
	s.waitBoard("ULX-D good", func() bool { return s.tileStatus(a) == model.StatusGood && s.tileStatus(b) == model.StatusGood })

	board := openTab(t, browser, true)
	board.open(s.url("/"))
	board.waitConn("live")
	const played = `window.micboardAlertSound.played`
	const toggle = `document.getElementById('alert-sound-toggle')`
	if got := eval[string](board, toggle+`.getAttribute('aria-pressed')`); got != "false" {
		t.Fatalf("sound toggle aria-pressed = %q at first, want false (off by default)", got)
	}

	// Off: a critical alert shows its toast and makes no sound.
	must(t, rx.SetBatteryBars(1, 1))
	const critToast = `[...document.querySelectorAll('#alert-toasts [data-alert-toast]')].filter(e => e.dataset.severity === 'critical').length`
	board.waitFor("a critical toast", critToast+` === 1`, `document.getElementById('alert-toasts')?.outerHTML`, liveTimeout)
	if got := eval[int](board, played); got != 0 {
		t.Fatalf("%d tones with the sound off", got)
	}

	// On, and remembered across a reload; the alert already open then
	// arrives as "active" and stays silent.
	board.do("switch the sound on", chromedp.Click(chromedp.CSS(`#alert-sound-toggle`)))
	if got := eval[string](board, `localStorage.getItem('micboard.alertSound')`); got != "on" {
		t.Fatalf("localStorage says %q after switching on, want on", got)
	}
	board.open(s.url("/"))
	board.waitConn("live")
	board.waitFor("the open alert's toast again", critToast+` === 1`, `document.getElementById('alert-toasts')?.outerHTML`, liveTimeout)
	if got := eval[string](board, toggle+`.getAttribute('aria-pressed')`); got != "true" {
		t.Fatalf("after a reload the toggle is aria-pressed=%q, want true", got)
	}
	if got := eval[string](board, toggle+`.textContent`); !strings.Contains(got, "Sound on") {
		t.Errorf("toggle says %q, want Sound on", got)
	}
	if got := eval[int](board, played); got != 0 {
		t.Fatalf("%d tones for an alert that was already open", got)
	}

	// A warning (3 bars: battery_low) is silent; critical plays once.
	must(t, rx.SetBatteryBars(2, 3))
	board.waitFor("a warning toast", `document.querySelector('#alert-toasts [data-alert-toast][data-severity=warning]') !== null`,
		`document.getElementById('alert-toasts')?.outerHTML`, liveTimeout)
	if got := eval[int](board, played); got != 0 {
		t.Fatalf("%d tones for a warning", got)
	}
	must(t, rx.SetBatteryBars(2, 1))
	board.waitFor("the tone for a new critical alert", played+` === 1`, `JSON.stringify(window.micboardAlertSound)`, liveTimeout)

	// Off again: the next critical alert is silent.
	board.do("switch the sound off", chromedp.Click(chromedp.CSS(`#alert-sound-toggle`)))
	if got := eval[string](board, `localStorage.getItem('micboard.alertSound')`); got != "off" {
		t.Fatalf("localStorage says %q after switching off, want off", got)
	}
	must(t, rx.SetBatteryBars(3, 0))
	board.waitFor("three critical toasts", critToast+` === 3`, `document.getElementById('alert-toasts')?.outerHTML`, liveTimeout)
	if got := eval[int](board, played); got != 1 {
		t.Errorf("%d tones after switching off, want still 1", got)
	}
}
