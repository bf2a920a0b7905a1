package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"micboard/app/config"
	"micboard/app/db/dbtest"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/server"
	"micboard/app/service"
	"micboard/app/store"
)

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleClient logs into a running server through the login form.
type consoleClient struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func (c *consoleClient) get(path string) (int, string) {
	c.t.Helper()
	res, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if m := csrfInput.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return res.StatusCode, string(b)
}

func (c *consoleClient) post(path string, form url.Values) (int, string) {
	c.t.Helper()
	form.Set("csrf", c.csrf)
	res, err := c.http.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func logIn(t *testing.T, base, user, password string) *consoleClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &consoleClient{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	c.get("/login")
	if code, body := c.post("/login", url.Values{"username": {user}, "password": {password}}); code != http.StatusOK {
		t.Fatalf("login as %s: %d %.300s", user, code, body)
	}
	return c
}

// A bulk "mark inactive" on 200 receivers is one transaction, recorded as
// one audit row, and the monitor stops watching every one of them before
// the answer arrives; a viewer's attempt is refused and changes nothing.
func TestBulkMarkInactiveStopsWatchingAtOnce(t *testing.T) {
	const n = 200
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bdb := dbtest.New(t)
	st := store.New(bdb)
	mf, err := st.Manufacturers.ByCode(ctx, model.VendorShure)
	if err != nil {
		t.Fatal(err)
	}
	// Receivers nobody answers for: the monitor keeps trying each.
	for i := 0; i < n; i++ {
		rx := &model.Receiver{ManufacturerID: mf.ID, Model: "ULXD4Q", DeviceType: model.TypeULXD,
			Host: "127.0.0.1", Port: 1 + i, Name: fmt.Sprintf("Rack %03d", i), Active: true}
		if err := st.Receivers.Create(ctx, rx); err != nil {
			t.Fatal(err)
		}
	}
	users := service.NewUsers(st)
	for _, u := range []service.UserInput{
		{Username: "op", Password: "operator-pass", Role: model.RoleOperator},
		{Username: "view", Password: "viewer-pass", Role: model.RoleViewer},
	} {
		if _, err := users.Create(ctx, service.CLI, u); err != nil {
			t.Fatal(err)
		}
	}

	cfg, err := config.Parse(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, server.Options{Config: cfg, DB: bdb, Logger: quiet, Version: "test",
		Monitor: monitor.Options{PollEvery: time.Hour, BackoffMin: time.Second, BackoffMax: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()
	waitFor(t, 10*time.Second, "every receiver watched", func() error {
		if m := srv.Monitor(); m == nil || m.Watching() != n {
			return fmt.Errorf("not yet")
		}
		return nil
	})

	all := url.Values{"action": {"mark_inactive"}, "all": {"1"}, "confirm": {"1"}, "q": {"rack"}}
	viewer := logIn(t, base, "view", "viewer-pass")
	viewer.get("/")
	if code, _ := viewer.post("/admin/receivers/bulk", all); code != http.StatusForbidden {
		t.Errorf("a viewer's bulk action got %d, want 403", code)
	}
	if got := srv.Monitor().Watching(); got != n {
		t.Fatalf("after the viewer's attempt the monitor watches %d, want %d", got, n)
	}

	op := logIn(t, base, "op", "operator-pass")
	if code, body := op.get("/admin/receivers?q=rack"); code != http.StatusOK || !strings.Contains(body, "200 receivers") {
		t.Fatalf("table: %d", code)
	}
	code, body := op.post("/admin/receivers/bulk", all)
	if code != http.StatusOK || !strings.Contains(body, `data-changed="200"`) {
		t.Fatalf("bulk: %d %.500s", code, body)
	}
	if got := srv.Monitor().Watching(); got != 0 {
		t.Errorf("right after the answer the monitor still watches %d receivers", got)
	}
	inactive, err := st.Receivers.Query().Inactive().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if inactive != n {
		t.Errorf("%d receivers inactive, want %d", inactive, n)
	}
	var rows []struct {
		RowCount int `bun:"row_count"`
	}
	if err := bdb.NewRaw("SELECT row_count FROM audit_events WHERE action = 'receiver.mark_inactive'").Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].RowCount != n {
		t.Errorf("audit rows %+v, want one of %d receivers", rows, n)
	}
	// Every write of the action shares one transaction: the inactive flags,
	// the stopped connections and the audit row carry the same xmin.
	var xids []int64
	if err := bdb.NewRaw(`SELECT DISTINCT xmin::text::bigint FROM receivers UNION SELECT DISTINCT xmin::text::bigint FROM audit_events WHERE action = 'receiver.mark_inactive'`).Scan(ctx, &xids); err != nil {
		t.Fatal(err)
	}
	if len(xids) != 1 {
		t.Errorf("the 200 receivers and the audit row were written by %d transactions, want 1", len(xids))
	}
}
