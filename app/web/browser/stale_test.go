package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"micboard/app/model"
)

// A board whose server went away must not keep looking live: within 6 s
// every tile greys out and a banner says since when; once the server is
// back the board is live again by itself, without a reload.
func TestBoardSaysWhenItIsStale(t *testing.T) {
	browser := newBrowser(t, 1600, 1000)
	s := newStack(t, testModels, 23, func(ctx context.Context, s *stack) {})
	rx, ch := s.Rx[rxULXD], 2
	id := s.channelID(rxULXD, ch)
	must(t, rx.SetTxOff(ch, false))
	must(t, rx.SetBatteryBars(ch, 5))
	s.waitOnline()
	s.waitBoard("ULX-D ch 2 good", func() bool { return s.tileStatus(id) == model.StatusGood })

	p := openTab(t, browser, true)
	p.open(s.url("/"))
	p.waitConn("live")
	p.waitStatus(id, string(model.StatusGood))
	if eval[bool](p, `document.body.hasAttribute('data-stale')`) {
		t.Fatal("a live board is marked stale")
	}
	p.setMarker()

	s.stop()
	stopped := time.Now()
	p.waitFor("stale board", `document.body.hasAttribute('data-stale') && !document.getElementById('stale').hidden`,
		`document.getElementById('stale').outerHTML`, 6*time.Second)
	t.Logf("stale %s after the server stopped", time.Since(stopped).Round(100*time.Millisecond))
	banner := eval[string](p, `document.getElementById('stale').textContent`)
	if !strings.HasPrefix(banner, "No data since ") {
		t.Errorf("banner says %q", banner)
	}
	if f := eval[string](p, `getComputedStyle(document.querySelector(`+jsString(tileSel(id))+`)).filter`); !strings.Contains(f, "grayscale") {
		t.Errorf("a stale tile keeps its colour: filter %q", f)
	}

	s.start()
	s.waitOnline()
	p.waitFor("live again", `!document.body.hasAttribute('data-stale') && document.getElementById('stale').hidden`,
		`document.getElementById('stale').outerHTML`, 20*time.Second)
	// The restarted board shows the stored state at once; wait until the
	// new monitor reads the receiver itself, then change it.
	must(t, rx.SetBatteryBars(ch, 3))
	s.waitBoard("restarted monitor reads ch 2", func() bool { return s.tileStatus(id) == model.StatusReplace })
	p.waitStatus(id, string(model.StatusReplace))
	must(t, rx.SetBatteryBars(ch, 1))
	p.waitStatus(id, string(model.StatusCritical))
	p.checkNoReload()
}
