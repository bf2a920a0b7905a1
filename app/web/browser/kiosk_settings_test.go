package browser

import (
	"context"
	"testing"
	"time"

	"micboard/app/model"
	"micboard/app/service"
)

// TestKioskAppliesSavedSettings: a wall left running picks up the settings
// an admin saves for it (tile size, view) within one heartbeat, by loading
// itself again at the same URL, with nobody touching it.
func TestKioskAppliesSavedSettings(t *testing.T) {
	const name = "Front of house wall"
	const heartbeat = 5 * time.Second // newKiosk's, the shortest allowed
	var token string
	browser := newBrowser(t, 1600, 1000)
	s := newStack(t, testModels, 24, func(ctx context.Context, s *stack) {
		token = newKiosk(ctx, t, s, name)
		// logInTo's user, an admin here: the console's edit form.
		if _, err := service.NewUsers(s.St).Create(ctx, service.CLI,
			service.UserInput{Username: "ops", Password: "stage-manager", Role: model.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
	})
	s.waitOnline()

	p := openTab(t, browser, true)
	kioskURL := s.url("/kiosk/" + token)
	if resp := p.open(kioskURL); resp.Status != 200 {
		t.Fatalf("GET /kiosk/<token> = %d, want 200", resp.Status)
	}
	p.waitConn("live")
	if got := eval[bool](p, `document.querySelector('#grid').classList.contains('kiosk-l')`); !got {
		t.Fatal("the wall is not drawn with large tiles")
	}
	if got := eval[int](p, `document.querySelectorAll('article[id^=tile-]').length`); got != s.channelCount() {
		t.Fatalf("the wall shows %d tiles, want the whole board's %d", got, s.channelCount())
	}
	drawn := eval[string](p, `document.querySelector('[data-heartbeat]').dataset.settingsVersion`)
	p.setMarker()
	navs := p.Navigations()

	// Saved as the admin page saves it: small tiles, the Shure receivers
	// only (ULX-D 4 + AD 2 channels).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	k, err := s.St.Kiosks.FindActive(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	_, changes, err := service.NewKiosks(s.St).Update(ctx, service.CLI, k.ID, service.KioskInput{
		Name: name, ViewQuery: "vendor=shure", TileSize: model.TileSmall, ShowRF: k.ShowRF, ShowAudio: k.ShowAudio,
		Heartbeat: heartbeat, PageSeconds: k.PageSeconds,
	})
	if err != nil || len(changes) != 2 {
		t.Fatalf("save the display: %q %v", changes, err)
	}
	saved := time.Now()

	// One heartbeat, plus the time to load the page again.
	p.waitFor("the wall redraws with small tiles and the Shure channels",
		`document.querySelector('#grid.kiosk-s') && document.querySelectorAll('article[id^=tile-]').length === 6`,
		`({grid: document.querySelector('#grid')?.className, tiles: document.querySelectorAll('article[id^=tile-]').length})`,
		heartbeat+4*time.Second)
	t.Logf("the wall showed the saved settings %s after the save", time.Since(saved).Round(100*time.Millisecond))
	if got := eval[string](p, `location.href`); got != kioskURL { // not printed: the URL is the secret
		t.Error("the wall's URL changed")
	}
	if p.Navigations() == navs || eval[string](p, `String(window.__e2eMarker)`) == "still here" {
		t.Error("the new settings were shown without the wall loading again")
	}
	if got := eval[string](p, `document.querySelector('[data-heartbeat]').dataset.settingsVersion`); got == drawn {
		t.Errorf("the wall still carries the settings version it was first drawn with (%s)", got)
	}
	p.waitConn("live")

	// The same through the console: the display's edit form, the size
	// changed, saved; the wall follows within a heartbeat again.
	a := openTab(t, browser, true)
	a.logInTo(s, "/admin/kiosks")
	a.clickFresh("open the edit form", `tr[data-kiosk="`+name+`"] a[data-edit-link]`)
	a.waitFor("the edit form", `document.querySelector('[data-edit-kiosk] #ke-size')?.value === 's'`,
		`document.querySelector('main')?.innerText.slice(0, 300) ?? 'no main'`, stepTimeout)
	a.checkAxe("the display's edit form")
	navs = p.Navigations()
	a.choose("save medium tiles", "#ke-size", "m", "[data-edit-kiosk] button[type=submit]")
	a.waitFor("the saved notice", `document.querySelector('[data-notice]')?.textContent.includes('Display saved')`,
		`document.querySelector('main')?.innerText.slice(0, 300) ?? 'no main'`, stepTimeout)
	saved = time.Now()
	p.waitFor("the wall redraws with medium tiles", `document.querySelector('#grid.kiosk-m') && document.querySelectorAll('article[id^=tile-]').length === 6`,
		`({grid: document.querySelector('#grid')?.className, tiles: document.querySelectorAll('article[id^=tile-]').length})`,
		heartbeat+4*time.Second)
	t.Logf("the wall showed the size saved on the console %s after the save", time.Since(saved).Round(100*time.Millisecond))
	if got := eval[string](p, `location.href`); got != kioskURL || p.Navigations() == navs {
		t.Error("the wall's URL changed, or it did not load again")
	}
	p.waitConn("live")

	// Drawn with the stored settings, it is left be: no second reload.
	navs = p.Navigations()
	time.Sleep(heartbeat + time.Second)
	if p.Navigations() != navs {
		t.Error("the wall loaded again although its settings did not change")
	}
}
