package browser

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"micboard/app/model"
)

// TestOlderGridNeverDrawsOverANewerTile holds the answer of a grid fetched
// again (as after a reconnect) in the browser until a tile has changed over
// the stream, then lets it in: the grid was drawn before the change, and
// the page must keep the tile's newer state instead of going back to the
// grid's. A wall that lost a change this way showed REPLACE for a pack
// already critical until the next change of that tile.
func TestOlderGridNeverDrawsOverANewerTile(t *testing.T) {
	for _, page := range []string{"board", "kiosk"} {
		t.Run(page, func(t *testing.T) {
			var token string
			browser := newBrowser(t, 1600, 1000)
			s := newStack(t, testModels, 31, func(ctx context.Context, s *stack) {
				if page == "kiosk" {
					token = newKiosk(ctx, t, s, "Monitor world")
				}
			})
			rx, ch := s.Rx[rxULXD], 2
			id := s.channelID(rxULXD, ch)
			must(t, rx.SetTxOff(ch, false))
			must(t, rx.SetBatteryBars(ch, 5))
			s.waitOnline()
			s.waitBoard("ULX-D ch 2 good", func() bool { return s.tileStatus(id) == model.StatusGood })

			p := openTab(t, browser, page == "kiosk")
			if page == "kiosk" {
				p.open(s.url("/kiosk/" + token))
			} else {
				p.open(s.url("/"))
			}
			p.waitConn("live")
			p.waitStatus(id, string(model.StatusGood))
			p.setMarker()

			held := holdGridAnswers(t, p)
			eval[bool](p, `(() => { const g = document.getElementById('grid'); g.dataset.old = '1'; htmx.trigger(g, 'resync'); return true; })()`)
			var answer fetch.RequestID
			select {
			case answer = <-held:
			case <-time.After(stepTimeout):
				t.Fatal("the grid was not fetched again")
			}
			// The grid in the held answer shows the pack good; now it goes
			// critical and the stream brings that to the old grid.
			must(t, rx.SetBatteryBars(ch, 1))
			p.waitStatus(id, string(model.StatusCritical))

			if _, err := chromedp.Call(p.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: answer}); err != nil {
				t.Fatalf("let the held grid in: %v", err)
			}
			p.waitFor("the held grid swapped in", `!document.querySelector('#grid[data-old]')`, `document.getElementById('grid')?.outerHTML.slice(0, 300)`, liveTimeout)
			for i := 0; i < 5; i++ {
				if got := p.tile(id).Status; got != string(model.StatusCritical) {
					t.Fatalf("after the older grid came in the tile shows %s, want %s (the change it missed is on the server)", got, model.StatusCritical)
				}
				time.Sleep(100 * time.Millisecond)
			}
			p.checkNoReload()
		})
	}
}

// holdGridAnswers pauses every grid answer in the browser once the server
// has written it, and hands over its id for the test to let it in.
func holdGridAnswers(t *testing.T, p *tab) <-chan fetch.RequestID {
	t.Helper()
	held := make(chan fetch.RequestID, 4)
	err := chromedp.Listen(p.ctx, func(ev any) {
		if ev, ok := ev.(*fetch.EventRequestPaused); ok {
			held <- ev.RequestID
		}
	})
	if err != nil {
		t.Fatalf("listen for held answers: %v", err)
	}
	_, err = chromedp.Call(p.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
		{URLPattern: "*/grid*", RequestStage: fetch.RequestStageResponse},
	}})
	if err != nil {
		t.Fatalf("hold grid answers: %v", err)
	}
	return held
}
