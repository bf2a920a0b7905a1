package browser

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"micboard/app/model"
	"micboard/app/service"
)

// screenshotModels is the demo's fleet (cmd/micboard/demo.go): 12 channels
// over ULX-D, Axient Digital, SLX-D and EW-DX.
var screenshotModels = []string{"ulxd4q", "ad4d", "slxd4d", "ewdx4"}

// TestScreenshots captures docs/screenshots/board.png and kiosk.png at
// 1920×1080 from a simulated show, and phone.png (a performer's packs) at
// 390×844. It runs only when MICBOARD_SCREENSHOTS
// names the folder to write to (`make screenshots`).
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("MICBOARD_SCREENSHOTS")
	if dir == "" {
		t.Skip("MICBOARD_SCREENSHOTS is not set; `make screenshots` sets it")
	}
	if !filepath.IsAbs(dir) {
		root, err := moduleRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	const (
		rxULX, rxAD, rxSLX, rxEW = 0, 1, 2, 3
		w, h                     = 1920, 1080
	)
	browser := newBrowser(t, w, h)
	var token, phoneToken string
	s := newStack(t, screenshotModels, 2026, func(ctx context.Context, s *stack) {
		// The generator cuts "HH01 Spare" to ULX-D's 8 characters and may
		// repeat a name; a real crew would not.
		must(t, s.Rx[rxULX].SetName(1, "HH01 Ayo"))
		must(t, s.Rx[rxSLX].SetName(1, "BP03 Abi"))
		assignPerformers(ctx, t, s)
		var vox []int64
		for i, r := range s.Regs {
			for _, c := range r.Channels {
				if slot, _ := model.SplitSlotName(c.Name); len(slot) > 2 && slot[:2] == "HH" {
					vox = append(vox, s.channelID(i, c.Number))
				}
			}
		}
		groups := service.NewGroups(s.St)
		if _, err := groups.Save(ctx, 1, "Vox", vox); err != nil {
			t.Fatalf("group: %v", err)
		}
		if _, err := groups.Save(ctx, 2, "Band", []int64{s.channelID(rxEW, 1), s.channelID(rxEW, 2), s.channelID(rxEW, 3), s.channelID(rxEW, 4)}); err != nil {
			t.Fatalf("group: %v", err)
		}
		var err error
		_, token, err = service.NewKiosks(s.St).Create(ctx, service.KioskInput{
			Name: "Stage left monitor world", ShowRF: true, ShowAudio: true, TileSize: model.TileLarge,
		})
		if err != nil {
			t.Fatalf("kiosk: %v", err)
		}
		// The phone link of the performer whose pack is about to die.
		asg, err := s.St.Assignments.ActiveForChannel(ctx, s.channelID(rxULX, 2))
		if err != nil {
			t.Fatalf("who holds ULX-D ch 2: %v", err)
		}
		if _, phoneToken, err = service.CreatePerformerLink(ctx, s.St, service.CLI, strconv.FormatInt(asg.PerformerID, 10)); err != nil {
			t.Fatalf("phone link: %v", err)
		}
		if _, err := service.NewUsers(s.St).Create(ctx, service.CLI,
			service.UserInput{Username: "ops", Password: "stage-manager", Role: model.RoleOperator}); err != nil {
			t.Fatalf("operator: %v", err)
		}
	})
	s.waitOnline()

	// A show in progress: most packs fine, some to change soon, one about
	// to die, one switched off after a rehearsal.
	for i, rx := range s.Rx {
		for n := 1; n <= rx.Channels(); n++ {
			must(t, rx.SetTxOff(n, false))
			must(t, rx.SetBatteryBars(n, 4+(i+n)%2))
		}
	}
	must(t, s.Rx[rxULX].SetBatteryBars(2, 1))    // critical
	must(t, s.Rx[rxULX].SetBatteryBars(4, 3))    // replace
	must(t, s.Rx[rxSLX].SetBatteryBars(2, 3))    // replace
	must(t, s.Rx[rxEW].SetBatteryPercent(2, 18)) // critical
	must(t, s.Rx[rxAD].SetTxOff(2, true))        // last heard, striped
	must(t, s.Rx[rxEW].SetAudio(3, -8))          // hot vocal
	must(t, s.Rx[rxULX].SetRF(3, -62, -71))      // the pack at the back
	s.waitBoard("statuses applied", func() bool {
		return s.tileStatus(s.channelID(rxULX, 2)) == model.StatusCritical &&
			s.tileStatus(s.channelID(rxEW, 2)) == model.StatusCritical &&
			s.tileStatus(s.channelID(rxAD, 2)) == model.StatusPrevGood
	})

	shootAt := func(p *tab, file string, w, h int64) {
		t.Helper()
		time.Sleep(3 * time.Second) // meters settle, "Live" shows
		p.do("viewport", chromedp.EmulateViewport(w, h))
		ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
		defer cancel()
		buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", file, err)
		}
		img, err := png.Decode(bytes.NewReader(buf))
		if err != nil {
			t.Fatalf("screenshot %s is no PNG: %v", file, err)
		}
		if b := img.Bounds(); int64(b.Dx()) != w || int64(b.Dy()) != h {
			t.Fatalf("screenshot %s is %dx%d, want %dx%d", file, b.Dx(), b.Dy(), w, h)
		}
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
	shoot := func(p *tab, file string) { t.Helper(); shootAt(p, file, w, h) }

	p := openTab(t, browser, false)
	p.do("viewport", chromedp.EmulateViewport(w, h))
	p.open(s.url("/"))
	p.waitConn("live")
	p.waitStatus(s.channelID(rxULX, 2), string(model.StatusCritical))
	shoot(p, "board.png")

	k := openTab(t, browser, true)
	k.do("viewport", chromedp.EmulateViewport(w, h))
	k.open(s.url("/kiosk/" + token))
	k.waitConn("live")
	k.waitStatus(s.channelID(rxEW, 2), string(model.StatusCritical))
	shoot(k, "kiosk.png")

	// A performer's own packs on a phone, with the pack's alert.
	ph := openTab(t, browser, true)
	ph.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	ph.open(s.url("/p/" + phoneToken))
	ph.waitConn("live")
	ph.waitStatus(s.channelID(rxULX, 2), string(model.StatusCritical))
	ph.waitFor("the alert on the phone", `document.querySelector('#alert-strip-list [data-alert-item]') !== null`,
		`document.body.innerText`, liveTimeout)
	shootAt(ph, "phone.png", 390, 844)

	// The console's live receivers table, two rows ticked for an action.
	a := openTab(t, browser, true)
	a.do("viewport", chromedp.EmulateViewport(w, h))
	a.logInTo(s, "/admin/receivers")
	a.waitFor("the receivers", `document.querySelectorAll('tr[data-rx][data-up=online]').length === 4`,
		`document.querySelector('[data-receivers]')?.innerText`, stepTimeout)
	ids := eval[[]int64](a, `[...document.querySelectorAll('tr[data-rx]')].map(r => +r.dataset.rx)`)
	a.clickRow(ids[0], false)
	a.clickRow(ids[1], true)
	eval[chromedp.Void](a, `window.scrollTo(0, 0)`)
	shoot(a, "admin_receivers.png")
}

// assignPerformers puts a performer on every named channel, the way the
// demo does ("HH01 Fatai" → Fatai), by the names the receivers report now.
func assignPerformers(ctx context.Context, t *testing.T, s *stack) {
	t.Helper()
	asg := service.NewAssignments(s.St)
	for i, rx := range s.Rx {
		for _, c := range rx.State().Channels {
			_, name := model.SplitSlotName(c.Name)
			if name == "" || name == "Spare" {
				continue
			}
			p := &model.Performer{Name: name, Active: true}
			if err := s.St.Performers.Create(ctx, p); err != nil {
				t.Fatalf("performer %q: %v", name, err)
			}
			if _, err := asg.Create(ctx, service.AssignmentInput{PerformerID: p.ID, ChannelID: s.channelID(i, c.Channel)}); err != nil {
				t.Fatalf("assign %q: %v", name, err)
			}
		}
	}
}

// moduleRoot finds the folder of go.mod above the test's directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test")
		}
		dir = parent
	}
}
