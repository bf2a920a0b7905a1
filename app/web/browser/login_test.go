package browser

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"micboard/app/model"
	"micboard/app/service"
)

// TestLoginLandsOnTheBoard: with the board behind the login (the default),
// opening / sends the browser to the login form; a wrong password is
// refused beside the form; the right one, typed into the form, lands on the
// board, live, with the user's name in the header.
func TestLoginLandsOnTheBoard(t *testing.T) {
	browser := newBrowser(t, 1400, 900)
	s := newPrivateStack(t, testModels[:1], 21, func(ctx context.Context, s *stack) {
		if _, err := service.NewUsers(s.St).Create(ctx, service.CLI,
			service.UserInput{Username: "stage-left", Password: "correct horse", Role: model.RoleViewer}); err != nil {
			t.Fatal(err)
		}
	})
	s.waitOnline()
	p := openTab(t, browser, true)

	p.open(s.url("/channels/" + strconv.FormatInt(s.channelID(0, 1), 10)))
	loc, _ := url.Parse(eval[string](p, `location.href`))
	if loc.Path != "/login" || loc.Query().Get("next") != "/channels/"+strconv.FormatInt(s.channelID(0, 1), 10) {
		t.Fatalf("anonymous visit landed on %s, want /login?next=/channels/...", loc)
	}
	if eval[string](p, `document.querySelector('form input[name=csrf]')?.value ?? ''`) == "" {
		t.Fatal("the login form carries no CSRF token")
	}

	p.do("type a wrong password",
		chromedp.SendKeys(chromedp.CSS(`#username`), "stage-left"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "wrong horse"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
	)
	p.waitFor("the refusal", `document.querySelector('[data-login-error]')?.textContent.includes('Wrong username or password')`,
		`document.body.innerText.slice(0, 300)`, stepTimeout)
	if got := eval[string](p, `document.querySelector('#username').value`); got != "stage-left" {
		t.Errorf("the username was not kept: %q", got)
	}

	p.open(s.url("/"))
	p.do("log in",
		chromedp.SendKeys(chromedp.CSS(`#username`), "stage-left"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "correct horse"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
	)
	p.waitFor("the board after login", `location.pathname === '/' && !!document.querySelector('#live')`,
		`location.href + ' ' + document.body.innerText.slice(0, 300)`, stepTimeout)
	p.waitConn("live")
	if got := eval[int](p, `document.querySelectorAll('article[id^=tile-]').length`); got != s.channelCount() {
		t.Errorf("board shows %d tiles, want %d", got, s.channelCount())
	}
	if who := eval[string](p, `document.querySelector('[data-user]')?.textContent ?? ''`); !strings.Contains(who, "stage-left") {
		t.Errorf("header shows %q, want the user's name", who)
	}
	if eval[string](p, `document.querySelector('meta[name=csrf-token]')?.content ?? ''`) == "" {
		t.Error("the board carries no CSRF token for htmx")
	}

	// Logging out ends it: the board asks for a login again.
	p.do("log out", chromedp.Click(chromedp.CSS(`header form button[type=submit]`)))
	p.waitFor("the login page after logout", `location.pathname === '/login'`, `location.href`, stepTimeout)
	p.open(s.url("/"))
	if path := eval[string](p, `location.pathname`); path != "/login" {
		t.Fatalf("after logout / shows %s", path)
	}
}
