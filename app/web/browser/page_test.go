package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Timeouts of one browser step. A hung browser fails the test at these
// instead of hanging it.
const (
	stepTimeout = 15 * time.Second
	liveTimeout = 15 * time.Second // a change on a device reaching an open page
)

// newBrowser starts headless Chromium for t (closed at the end of t). Without
// Chromium the test is skipped, or fails when CI is set: CI must not pass by
// testing nothing.
func newBrowser(t *testing.T, width, height int) context.Context {
	t.Helper()
	path := ExecPath()
	if path == "" {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatal("chromium is not installed (CI is set): `make browser-deps` installs Debian's chromium")
		}
		t.Skip("chromium is not installed: `make browser-deps` installs Debian's chromium; skipping the browser tests")
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), AllocatorOptions(path, t.TempDir(), width, height)...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() { bcancel(); acancel() }) // acancel waits for the browser to exit
	// The first run starts the browser and binds it to bctx, so it gets no
	// deadline of its own; a browser that never answers fails here.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(bctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start %s: %v", path, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start within 30 s", path)
	}
	return bctx
}

// tab is one browser tab, watched for dialogs, uncaught exceptions and
// navigations.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu          sync.Mutex
	dialogs     []string
	exceptions  []string
	navigations int      // of the main frame
	console     []string // console and browser log, shown when the test fails
}

// openTab opens a tab in the browser; fresh opens it in a new browser
// context (no cookies, no storage: a wall display's first boot).
func openTab(t *testing.T, browser context.Context, fresh bool) *tab {
	t.Helper()
	var opts []chromedp.ContextOption
	if fresh {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	ctx, cancel := chromedp.NewContext(browser, opts...)
	t.Cleanup(cancel)
	p := &tab{t: t, ctx: ctx}
	attached := make(chan error, 1)
	go func() { attached <- chromedp.Do(ctx) }()
	select {
	case err := <-attached:
		if err != nil {
			t.Fatalf("open tab: %v", err)
		}
	case <-time.After(stepTimeout):
		t.Fatal("open tab: no answer from the browser")
	}
	err := chromedp.Listen(ctx, func(ev any) {
		// Runs in the tab's read loop: record and return.
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			p.mu.Lock()
			p.dialogs = append(p.dialogs, string(ev.Type)+": "+ev.Message)
			p.mu.Unlock()
			// A dialog blocks the page; dismiss it off the read loop.
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			p.mu.Lock()
			p.exceptions = append(p.exceptions, fmt.Sprintf("%s:%d %s", d.URL, d.LineNumber+1, msg))
			p.mu.Unlock()
		case *page.EventFrameNavigated:
			if ev.Frame != nil && ev.Frame.ParentID == "" {
				p.mu.Lock()
				p.navigations++
				p.mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, fmt.Sprintf("%s %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.exceptions {
			t.Errorf("uncaught JavaScript exception: %s", e)
		}
		if t.Failed() || os.Getenv("MICBOARD_E2E_CONSOLE") != "" {
			t.Logf("browser console of the tab:\n%s", strings.Join(p.console, "\n"))
		}
	})
	return p
}

// Dialogs returns the JavaScript dialogs (alert, confirm...) the page opened.
func (p *tab) Dialogs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.dialogs...)
}

// Navigations counts main-frame navigations so far.
func (p *tab) Navigations() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.navigations
}

// do runs actions with the step timeout.
func (p *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// clickFresh clicks the element sel names with the mouse, looking it up
// again when a live swap replaced it between the look-up and the click.
func (p *tab) clickFresh(what, sel string) {
	p.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
		err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// open navigates to url and returns the HTTP response of the page.
func (p *tab) open(url string) *network.Response {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		p.t.Fatalf("open %s: %v", url, err)
	}
	return resp
}

// eval evaluates expr in the page and decodes its value into T.
func eval[T any](p *tab, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until expr is truthy in the page. It evaluates again and
// again rather than polling inside the page, so it keeps working across a
// reload. On timeout it fails with what diag evaluates to.
func (p *tab) waitFor(what, expr, diag string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	got := "(no diagnosis)"
	if diag != "" {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](diag))
		cancel()
		if err != nil {
			got = "(" + err.Error() + ")"
		} else {
			got = string(raw)
		}
	}
	if lastErr != nil {
		got += "; last error: " + lastErr.Error()
	}
	p.t.Fatalf("%s: not within %s; page has %s", what, timeout, got)
}

// setMarker leaves a value on window that only survives if the page is
// never reloaded.
func (p *tab) setMarker() {
	p.t.Helper()
	eval[chromedp.Void](p, `window.__e2eMarker = 'still here'`)
}

// checkNoReload fails when the page was reloaded since setMarker.
func (p *tab) checkNoReload() {
	p.t.Helper()
	if got := eval[string](p, `String(window.__e2eMarker)`); got != "still here" {
		p.t.Fatalf("the page reloaded (marker is %q): live updates must not need a reload", got)
	}
}

// tileState is what a tile shows.
type tileState struct {
	Status string `json:"status"`
	Slot   string `json:"slot"`
	Name   string `json:"name"`
	Title  string `json:"title"`
	Badge  string `json:"badge"`
	Bars   int    `json:"bars"` // lit battery bars
	Aria   string `json:"aria"` // the accessible name (set by tile, not tileJS)
}

func (s tileState) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// tileJS returns JS that reads the tile with this id (null when absent).
func tileJS(id int64) string {
	return fmt.Sprintf(`(() => {
  const t = document.querySelector(%s);
  if (!t) return null;
  const q = (s) => { const e = t.querySelector(s); return e ? e.textContent.trim() : null; };
  const n = t.querySelector('.tile-name');
  return {status: t.dataset.status, slot: q('.tile-slot'), name: n ? n.textContent : null,
    title: n ? n.getAttribute('title') : null, badge: q('.tile-badge'),
    bars: t.querySelectorAll('.tile-bars .bg-current').length};
})()`, jsString(tileSel(id)))
}

// tile reads a tile; it fails when the tile is missing.
func (p *tab) tile(id int64) tileState {
	p.t.Helper()
	raw := eval[[]byte](p, tileJS(id))
	if string(raw) == "null" || len(raw) == 0 {
		p.t.Fatalf("no tile %s on the page", tileSel(id))
	}
	var s tileState
	if err := json.Unmarshal(raw, &s); err != nil {
		p.t.Fatalf("read tile %d: %v (%s)", id, err, raw)
	}
	s.Aria = p.accName(tileSel(id))
	return s
}

// waitStatus waits until a tile's data-status is want (or, for "!STATUS",
// anything but STATUS).
func (p *tab) waitStatus(id int64, want string) {
	p.t.Helper()
	cond := fmt.Sprintf(`document.querySelector(%s)?.dataset.status === %s`, jsString(tileSel(id)), jsString(want))
	if rest, ok := strings.CutPrefix(want, "!"); ok {
		cond = fmt.Sprintf(`(s => s && s !== %s)(document.querySelector(%s)?.dataset.status)`, jsString(rest), jsString(tileSel(id)))
	}
	p.waitFor(fmt.Sprintf("tile %d status %s", id, want), cond, tileJS(id), liveTimeout)
}

// waitConn waits for the connection badge's state (live, down).
func (p *tab) waitConn(state string) {
	p.t.Helper()
	p.waitFor("connection badge "+state,
		fmt.Sprintf(`document.querySelector('#conn')?.dataset.conn === %s`, jsString(state)),
		`document.querySelector('#conn')?.outerHTML ?? 'no #conn'`, liveTimeout)
}
