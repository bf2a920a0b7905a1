package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"micboard/app/model"
	"micboard/app/service"
)

// fitPage is what a fitted wall shows on one page, measured in the browser.
type fitPage struct {
	Page, Pages    int
	Pager          string  // the "1/2" in the header, "" when hidden
	Visible        []int64 // tile ids on screen
	Attention      []int64 // tile ids that need attention (shown or not)
	MinName        float64 // smallest name font size on the page, px
	MinSlot        float64
	MinRuntime     float64
	Overflow       []string // tiles or texts that do not fit their box
	ScrollW        int
	ScrollH        int
	InnerW, InnerH int
}

// measureFitJS reads the visible tiles of a wall: ids, font sizes, anything
// that overflows its box or the screen.
const measureFitJS = `(() => {
  const grid = document.getElementById('grid');
  const tiles = [...grid.querySelectorAll(':scope > .tile')];
  const W = innerWidth, H = innerHeight;
  const out = {Page: +(grid.dataset.page || 0), Pages: +(grid.dataset.pages || 0), Visible: [], Attention: [],
    MinName: 1e9, MinSlot: 1e9, MinRuntime: 1e9, Overflow: [],
    ScrollW: document.documentElement.scrollWidth, ScrollH: document.documentElement.scrollHeight, InnerW: W, InnerH: H};
  const pager = document.querySelector('[data-pager]');
  out.Pager = pager && !pager.hidden ? pager.textContent.trim() : '';
  const fs = el => parseFloat(getComputedStyle(el).fontSize);
  for (const t of tiles) {
    const id = +t.id.slice(5);
    if (t.hasAttribute('data-attention')) out.Attention.push(id);
    const r = t.getBoundingClientRect();
    if (getComputedStyle(t).display === 'none' || r.width === 0) continue;
    out.Visible.push(id);
    if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5) out.Overflow.push(t.id + ' off screen ' + JSON.stringify(r));
    if (t.scrollHeight > t.clientHeight + 1 || t.scrollWidth > t.clientWidth + 1)
      out.Overflow.push(t.id + ' content ' + t.scrollWidth + 'x' + t.scrollHeight + ' in ' + t.clientWidth + 'x' + t.clientHeight);
    for (const el of t.querySelectorAll('.tile-slot, .tile-badge, .tile-name, .tile-runtime, .tile-foot > *, .tile-meters > span:nth-child(odd)')) {
      if (el.getClientRects().length === 0) continue; // not drawn (a compact wall hides meters and footer)
      const e = el.getBoundingClientRect();
      if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) out.Overflow.push(t.id + ' ' + el.className.split(' ')[0] + ' "' + el.textContent.trim() + '" cut: ' + el.scrollWidth + ' > ' + el.clientWidth);
      if (e.right > r.right + 0.5 || e.bottom > r.bottom + 0.5 || e.left < r.left - 0.5) out.Overflow.push(t.id + ' ' + el.className.split(' ')[0] + ' "' + el.textContent.trim() + '" outside its tile');
    }
    out.MinName = Math.min(out.MinName, fs(t.querySelector('.tile-name')));
    out.MinSlot = Math.min(out.MinSlot, fs(t.querySelector('.tile-slot')));
    out.MinRuntime = Math.min(out.MinRuntime, fs(t.querySelector('.tile-runtime')));
  }
  return out;
})()`

// TestScreensFit: a wall display with 12, 48 or 200 channels, on a 1080p
// and a 4K screen, shows every channel (paging when they do not fit at a
// legible size), never scrolls or clips a tile's text, draws the name at
// least 4 % of the screen height and slot and runtime at least 2.5 %, and
// keeps the channels that need attention on every page. The staff board
// uses the whole width of a 1920 screen, and on a phone is a compact list,
// worst first, with at least eight channels on the first screen.
func TestScreensFit(t *testing.T) {
	models := make([]string, 50) // 200 channels
	for i := range models {
		models[i] = []string{"ulxd4q", "ewdx4", "ad4q"}[i%3]
	}
	tokens := map[int]string{}
	browser := newBrowser(t, 1920, 1080)
	s := newStack(t, models, 31, func(ctx context.Context, s *stack) {
		var all []int64
		for i, r := range s.Regs {
			for _, c := range r.Channels {
				all = append(all, s.channelID(i, c.Number))
			}
		}
		groups := service.NewGroups(s.St)
		for _, g := range []struct{ n, size int }{{1, 12}, {2, 48}} {
			if _, err := groups.Save(ctx, g.n, fmt.Sprintf("First %d", g.size), all[:g.size]); err != nil {
				t.Fatalf("group %d: %v", g.n, err)
			}
		}
		for _, k := range []struct {
			n    int
			view string
		}{{12, "group=1"}, {48, "group=2"}, {200, ""}} {
			_, token, err := service.NewKiosks(s.St).Create(ctx, service.KioskInput{
				Name: fmt.Sprintf("Wall of %d", k.n), ViewQuery: k.view, ShowRF: true, ShowAudio: true, TileSize: model.TileSmall,
			})
			if err != nil {
				t.Fatalf("kiosk: %v", err)
			}
			tokens[k.n] = token
		}
	})
	if n := s.channelCount(); n != 200 {
		t.Fatalf("fleet has %d channels, want 200", n)
	}
	s.waitOnline()
	for _, rx := range s.Rx {
		for n := 1; n <= rx.Channels(); n++ {
			must(t, rx.SetTxOff(n, false))
			must(t, rx.SetBatteryBars(n, 5))
		}
	}
	// Two packs to change, one in the first 12 and one beyond 48: both must
	// be on every page of a paging wall that shows them.
	critical := []int64{s.channelID(1, 2), s.channelID(30, 3)}
	must(t, s.Rx[1].SetBatteryBars(2, 1))
	must(t, s.Rx[30].SetBatteryBars(3, 1))
	s.waitBoard("two critical packs", func() bool {
		return s.tileStatus(critical[0]) == model.StatusCritical && s.tileStatus(critical[1]) == model.StatusCritical
	})

	shots := os.Getenv("MICBOARD_SCREENSHOTS")
	if shots != "" && !filepath.IsAbs(shots) {
		root, err := moduleRoot()
		if err != nil {
			t.Fatal(err)
		}
		shots = filepath.Join(root, shots)
	}

	p := openTab(t, browser, true)
	round := -1
	for _, size := range [][2]int64{{1920, 1080}, {3840, 2160}} {
		w, h := size[0], size[1]
		p.do("viewport", chromedp.EmulateViewport(w, h))
		for _, n := range []int{12, 48, 200} {
			t.Run(fmt.Sprintf("%d_channels_%dx%d", n, w, h), func(t *testing.T) {
				p.t = t
				p.open(s.url("/kiosk/" + tokens[n]))
				p.waitConn("live")
				p.waitFor("the wall laid out", `+(document.getElementById('grid').dataset.pages || 0) > 0`,
					`document.getElementById('grid').outerHTML.slice(0, 300)`, stepTimeout)
				// The alert strip arrives with the stream and takes room.
				time.Sleep(1500 * time.Millisecond)
				// A tile redrawn by the stream keeps its place on the page.
				round++
				bars := 4 + round%2 // 5 before: redrawn each time
				must(t, s.Rx[0].SetBatteryBars(1, bars))
				p.waitFor("the redrawn tile", fmt.Sprintf(`document.querySelectorAll('%s .tile-bars > .bg-current').length === %d`, tileSel(s.channelID(0, 1)), bars),
					`document.querySelector('`+tileSel(s.channelID(0, 1))+`').outerHTML`, liveTimeout)
				time.Sleep(200 * time.Millisecond) // past htmx's settle
				seen := map[int64]bool{}
				first := eval[fitPage](p, measureFitJS)
				if len(first.Visible)+0 == 0 {
					t.Fatal("no tile visible")
				}
				if shots != "" {
					shootFile(t, p, filepath.Join(shots, fmt.Sprintf("kiosk-%d-%dx%d.png", n, w, h)))
				}
				pages := first.Pages
				for k := 1; k <= pages; k++ {
					pg := first
					if k > 1 {
						eval[chromedp.Void](p, `document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight'}))`)
						p.waitFor(fmt.Sprintf("page %d", k), fmt.Sprintf(`document.getElementById('grid').dataset.page === '%d'`, k),
							`document.getElementById('grid').dataset.page`, stepTimeout)
						pg = eval[fitPage](p, measureFitJS)
					}
					checkFitPage(t, pg, k, pages, n, float64(h))
					for _, id := range pg.Visible {
						seen[id] = true
					}
				}
				if len(seen) != n {
					t.Errorf("%d channels shown over %d pages, want all %d", len(seen), pages, n)
				}
				if n == 200 && pages < 2 {
					t.Errorf("200 channels on one page at %dx%d: the names cannot be legible", w, h)
				}
				if n == 12 && pages != 1 {
					t.Errorf("12 channels on %d pages, want one", pages)
				}
				if n == 48 && pages > 2 {
					t.Errorf("48 channels on %d pages, want at most two", pages)
				}
				t.Logf("%d channels at %dx%d: %d page(s), %d tiles a page, name %.0f px (%.1f %% of the height)",
					n, w, h, pages, len(first.Visible), first.MinName, 100*first.MinName/float64(h))
			})
		}
	}
	p.t = t

	t.Run("board_48_channels_1920x1080", func(t *testing.T) {
		p.t = t
		p.do("viewport", chromedp.EmulateViewport(1920, 1080))
		p.open(s.url("/?group=2"))
		p.waitConn("live")
		if got := eval[float64](p, `document.getElementById('grid').getBoundingClientRect().width`); got < 1920-2*32-1 {
			t.Errorf("the board's grid is %.0f px wide on a 1920 px screen, want the full width", got)
		}
		if shots != "" {
			time.Sleep(time.Second)
			shootFile(t, p, filepath.Join(shots, "board-48-1920x1080.png"))
		}
	})
	t.Run("board_phone_390x844", func(t *testing.T) {
		p.t = t
		p.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		p.open(s.url("/?group=2"))
		p.waitConn("live")
		type row struct {
			ID       int64
			Severity int
			Top      float64
			Bottom   float64
		}
		rows := eval[[]row](p, `[...document.querySelectorAll('#grid > .tile')].map(t => { const r = t.getBoundingClientRect();
		  return {ID: +t.id.slice(5), Severity: +t.dataset.severity, Top: r.top, Bottom: r.bottom}; }).sort((a, b) => a.Top - b.Top)`)
		onScreen := 0
		for i, r := range rows {
			if r.Top >= 0 && r.Bottom <= 844 {
				onScreen++
			}
			if i > 0 && r.Severity < rows[i-1].Severity {
				t.Errorf("tile %d (severity %d) below tile %d (severity %d): the phone's list is not worst first", r.ID, r.Severity, rows[i-1].ID, rows[i-1].Severity)
			}
		}
		if onScreen < 8 {
			t.Errorf("%d channels on the phone's first screen, want at least 8", onScreen)
		}
		if len(rows) == 0 || rows[0].ID != critical[0] {
			t.Errorf("the phone's list does not start with the critical pack %d", critical[0])
		}
		if sw := eval[int](p, `document.documentElement.scrollWidth`); sw > 390 {
			t.Errorf("the phone's page is %d px wide: it scrolls sideways", sw)
		}
		t.Logf("%d channels on the phone's first screen", onScreen)
		if shots != "" {
			time.Sleep(time.Second)
			shootFile(t, p, filepath.Join(shots, "board-phone-390x844.png"))
		}
	})
}

func checkFitPage(t *testing.T, pg fitPage, k, pages, n int, h float64) {
	t.Helper()
	if pg.Page != k || pg.Pages != pages {
		t.Errorf("page %d/%d says it is %d/%d", k, pages, pg.Page, pg.Pages)
	}
	if pages > 1 && pg.Pager != fmt.Sprintf("%d/%d", k, pages) {
		t.Errorf("page %d/%d: the header shows %q", k, pages, pg.Pager)
	}
	if pages == 1 && pg.Pager != "" {
		t.Errorf("one page, yet the header shows %q", pg.Pager)
	}
	if pg.ScrollW > pg.InnerW || pg.ScrollH > pg.InnerH {
		t.Errorf("page %d: the document is %dx%d on a %dx%d screen: it would scroll", k, pg.ScrollW, pg.ScrollH, pg.InnerW, pg.InnerH)
	}
	for i, o := range pg.Overflow {
		if i == 5 {
			t.Errorf("... and %d more", len(pg.Overflow)-5)
			break
		}
		t.Errorf("page %d: %s", k, o)
	}
	if pg.MinName < 0.04*h-0.5 {
		t.Errorf("page %d: a name is %.1f px, under 4 %% of %v px", k, pg.MinName, h)
	}
	if pg.MinSlot < 0.025*h-0.5 || pg.MinRuntime < 0.025*h-0.5 {
		t.Errorf("page %d: slot %.1f px, runtime %.1f px, under 2.5 %% of %v px", k, pg.MinSlot, pg.MinRuntime, h)
	}
	vis := map[int64]bool{}
	for _, id := range pg.Visible {
		vis[id] = true
	}
	var missing []int64
	for _, id := range pg.Attention {
		if !vis[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		sort.Slice(missing, func(i, j int) bool { return missing[i] < missing[j] })
		t.Errorf("page %d: channels needing attention left off: %v", k, missing)
	}
}

// shootFile saves a screenshot of the tab's viewport.
func shootFile(t *testing.T, p *tab, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}
