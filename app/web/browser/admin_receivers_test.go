package browser

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"micboard/app/model"
	"micboard/app/service"
)

// adminModels: four Shure receivers and one Sennheiser, so a vendor filter
// has something to leave out.
var adminModels = []string{"ulxd4q", "ad4d", "ewdx4", "ulxd4d", "ad4q"}

// consoleGrace is how long a dropped receiver may stay unreachable before
// it shows offline in these tests (the default, 2 s, would leave no room in
// the 2 s the table has to show it).
const consoleGrace = 300 * time.Millisecond

// newConsoleStack is a private stack with an operator, the monitor's
// offline grace shortened to consoleGrace.
func newConsoleStack(t *testing.T, models []string, seed uint64) *stack {
	t.Helper()
	return newPrivateStack(t, models, seed, func(ctx context.Context, s *stack) {
		mon := fastMonitor
		mon.OfflineGrace = consoleGrace
		s.monitor = &mon
		if _, err := service.NewUsers(s.St).Create(ctx, service.CLI,
			service.UserInput{Username: "ops", Password: "stage-manager", Role: model.RoleOperator}); err != nil {
			t.Fatal(err)
		}
	})
}

// logInTo logs in through the form, on the way to path.
func (p *tab) logInTo(s *stack, path string) {
	p.t.Helper()
	p.open(s.url(path))
	p.do("log in",
		chromedp.SendKeys(chromedp.CSS(`#username`), "ops"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "stage-manager"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
	)
	p.waitFor("the page after login", `location.pathname === `+jsString(path), `location.href`, stepTimeout)
}

// clickRow clicks a row's checkbox where it is on screen, with shift held
// when shift is set. It clicks a point, not a node: the live table may
// replace the row between finding and clicking it.
func (p *tab) clickRow(id int64, shift bool) {
	p.t.Helper()
	at := eval[[]float64](p, fmt.Sprintf(`(() => { const b = document.getElementById('pick-%d'); b.scrollIntoView({block: 'center'});
		const r = b.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`, id))
	var opts []chromedp.MouseOption
	if shift {
		opts = append(opts, chromedp.ButtonModifiers(chromedp.ModifierShift))
	}
	p.do(fmt.Sprintf("click row %d", id), chromedp.MouseClickXY(at[0], at[1], opts...))
}

// choose sets the control sel finds to value (none when sel is "") and
// clicks the button, in one script on fresh queries, once both are on the
// loaded page: the table's live updates may replace elements between a
// look-up and an action, which a node looked up first and used afterwards
// would not survive.
func (p *tab) choose(what, sel, value, button string) {
	p.t.Helper()
	js := fmt.Sprintf(`(() => {
	  if (document.readyState === 'loading') return false;
	  const b = document.querySelector(%[1]s);
	  const s = %[2]s ? document.querySelector(%[2]s) : null;
	  if (!b || (%[2]s && !s)) return false;
	  if (s) {
	    s.value = %[3]s;
	    if (s.value !== %[3]s) return false;
	  }
	  b.click();
	  return true;
	})()`, jsString(button), jsString(sel), jsString(value))
	p.waitFor(what, js, `document.body?.innerHTML.slice(0, 300) ?? 'no body'`, stepTimeout)
}

// TestReceiversTableBulkAndLive: an operator logs in, filters the
// receivers by vendor, ticks three rows with a click and a shift-click,
// marks them inactive (confirming the count) and sees those rows change in
// place without a reload, ticks kept; the table, left open, shows a
// receiver going offline within 2 s of its simulator dropping off.
func TestReceiversTableBulkAndLive(t *testing.T) {
	browser := newBrowser(t, 1500, 1000)
	s := newConsoleStack(t, adminModels, 41)
	s.waitOnline()
	p := openTab(t, browser, true)
	p.logInTo(s, "/admin/receivers")

	p.choose("filter by vendor", `#f-vendor`, "shure", `form[data-filter] button[type=submit]`)
	p.waitFor("the Shure receivers", `location.search.includes('vendor=shure') && document.querySelectorAll('tr[data-rx]').length === 4`,
		`document.querySelector('[data-receivers]')?.innerText`, stepTimeout)
	p.waitFor("every row online", `[...document.querySelectorAll('tr[data-rx]')].every(r => r.dataset.up === 'online')`,
		`JSON.stringify([...document.querySelectorAll("tr[data-rx]")].map(r => r.outerHTML.slice(0,200)))`, stepTimeout)
	p.setMarker()

	ids := eval[[]int64](p, `[...document.querySelectorAll('tr[data-rx]')].map(r => +r.dataset.rx)`)
	p.clickRow(ids[0], false)
	p.clickRow(ids[2], true)
	if got := eval[[]bool](p, `[...document.querySelectorAll('input[data-pick]')].map(b => b.checked)`); fmt.Sprint(got) != "[true true true false]" {
		t.Fatalf("after a click and a shift-click the ticks are %v, want the first three", got)
	}
	p.waitFor("the count", `document.querySelector('[data-picked]').textContent === '3 ticked'`, `document.querySelector('[data-picked]').textContent`, stepTimeout)

	p.choose("mark inactive", `#bulk-action`, "mark_inactive", `form[data-bulk] button[type=submit]`)
	p.waitFor("the question", `document.querySelector('[data-confirm]')?.innerText.includes('Mark 3 receivers inactive?')`,
		`document.querySelector('#bulk-panel')?.innerText`, stepTimeout)
	p.choose("confirm", "", "", `[data-confirm-yes]`)
	p.waitFor("the summary", `document.querySelector('[data-changed]')?.dataset.changed === '3'`,
		`document.querySelector('#bulk-panel')?.innerText`, stepTimeout)
	want := fmt.Sprintf(`[%d,%d,%d].every(id => document.getElementById('rx-row-' + id)?.dataset.active === 'false')`, ids[0], ids[1], ids[2])
	p.waitFor("the three rows inactive in place", want, `[...document.querySelectorAll('tr[data-rx]')].map(r => r.dataset.rx + ':' + r.dataset.active).join(' ')`, 5*time.Second)
	if got := eval[string](p, fmt.Sprintf(`document.getElementById('rx-row-%d').dataset.active`, ids[3])); got != "true" {
		t.Errorf("the unticked row is active=%s", got)
	}
	if got := eval[[]bool](p, `[...document.querySelectorAll('input[data-pick]')].map(b => b.checked)`); fmt.Sprint(got) != "[true true true false]" {
		t.Errorf("live updates lost the ticks: %v", got)
	}
	p.checkNoReload()
	for _, id := range ids[:3] {
		if s.srv.Monitor().IsWatching(id) {
			t.Errorf("the monitor still watches receiver %d", id)
		}
	}

	// The one still watched drops off the network: its row turns offline,
	// in place, within 2 s.
	var rx int
	for i, r := range s.Regs {
		if r.ID == ids[3] {
			rx = i
		}
	}
	row := `document.getElementById('rx-row-` + strconv.FormatInt(ids[3], 10) + `')`
	s.Rx[rx].Drop(0)
	dropped := time.Now()
	p.waitFor("the receiver offline", row+`.dataset.up === 'offline' && `+row+`.querySelector('[data-dot]').dataset.dot === 'offline'`,
		row+`.outerHTML.slice(0, 400)`, 2*time.Second)
	t.Logf("the table showed the receiver offline %s after its simulator dropped", time.Since(dropped).Round(10*time.Millisecond))
	p.checkNoReload()
}

// TestRenameChannelWritesToReceiver: renaming a channel on the receiver's
// page writes the name into the (simulated) receiver and says it was
// accepted.
func TestRenameChannelWritesToReceiver(t *testing.T) {
	browser := newBrowser(t, 1400, 1000)
	s := newConsoleStack(t, adminModels[:1], 43)
	s.waitOnline()
	p := openTab(t, browser, true)
	path := "/admin/receivers/" + strconv.FormatInt(s.Regs[0].ID, 10)
	p.logInTo(s, path)

	input := fmt.Sprintf(`#ch-name-%d`, s.channelID(0, 2))
	clear := func() { eval[chromedp.Void](p, `document.querySelector(`+jsString(input)+`).value = ''`) }
	clear()
	p.do("rename channel 2",
		chromedp.SendKeys(chromedp.CSS(input), "VOX 2"),
		chromedp.Click(chromedp.CSS(`form[data-rename="2"] button[type=submit]`)),
	)
	p.waitFor("the device's acceptance", `document.querySelector('[data-notice]')?.textContent.includes('accepted')`,
		`document.querySelector('main')?.innerText.slice(0, 600)`, stepTimeout)
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := s.Rx[0].State()
		if len(st.Channels) > 1 && st.Channels[1].Name == "VOX 2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the simulator reports channel 2 as %+v", st.Channels)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A name too long for the model is refused by the device layer and
	// said beside the field.
	clear()
	p.do("rename too long",
		chromedp.SendKeys(chromedp.CSS(input), "A NAME FAR TOO LONG FOR IT"),
		chromedp.Click(chromedp.CSS(`form[data-rename="2"] button[type=submit]`)),
	)
	p.waitFor("the refusal", `!!document.querySelector('form[data-rename="2"] + [role=alert]')`,
		`document.querySelector('main')?.innerText.slice(0, 600)`, stepTimeout)
	if got := s.Rx[0].State().Channels[1].Name; got != "VOX 2" {
		t.Errorf("after a refused rename the simulator says %q", got)
	}
}
