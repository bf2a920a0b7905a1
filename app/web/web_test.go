package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/config"
	"micboard/app/db"
	"micboard/app/db/dbtest"
	"micboard/app/web"
)

// testConfig is the default configuration with a fixed session secret and
// a public board, so tests of the board need no login (auth_internal_test.go covers
// the private board).
func testConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.Parse(func(name string) (string, bool) {
		switch name {
		case "MICBOARD_SESSION_SECRET":
			return strings.Repeat("s", 32), true
		case "MICBOARD_PUBLIC_BOARD":
			return "true", true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newServer builds the server over the database at url ("" for none).
func newServer(t *testing.T, url string) *web.Server {
	t.Helper()
	var bdb *bun.DB
	if url != "" {
		var err error
		if bdb, err = db.Open(context.Background(), url); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bdb.Close() })
	}
	s, err := web.New(web.Deps{Config: testConfig(t), DB: bdb, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// get requests path with the given headers and returns the response and
// its body.
func get(t *testing.T, s *web.Server, path string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	res := rec.Result()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return m
}

func TestHealthz(t *testing.T) {
	s := newServer(t, "")
	res, body := get(t, s, "/healthz", nil)
	if res.StatusCode != http.StatusOK || decode(t, body)["status"] != "ok" {
		t.Fatalf("got %d %s", res.StatusCode, body)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", res.Header.Get("Cache-Control"))
	}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name       string
		url        func(t testing.TB) string
		wantStatus int
		wantReason string
	}{
		{"migrated database", dbtest.NewURL, http.StatusOK, ""},
		{"empty database", dbtest.NewEmptyURL, http.StatusServiceUnavailable, "database is not migrated"},
		{"no database", func(testing.TB) string { return "" }, http.StatusServiceUnavailable, "no database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, tt.url(t))
			res, body := get(t, s, "/readyz", nil)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", res.StatusCode, tt.wantStatus, body)
			}
			m := decode(t, body)
			reason, _ := m["reason"].(string)
			if tt.wantReason == "" && (m["status"] != "ready" || reason != "") {
				t.Fatalf("body = %s", body)
			}
			if tt.wantReason != "" && (m["status"] != "unavailable" || !strings.Contains(reason, tt.wantReason)) {
				t.Fatalf("reason = %q, want it to contain %q", reason, tt.wantReason)
			}
		})
	}
}

func TestReadyzDatabaseGone(t *testing.T) {
	url := dbtest.NewURL(t)
	bdb, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Deps{Config: testConfig(t), DB: bdb})
	if err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	res, body := get(t, s, "/readyz", nil)
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "database unreachable") {
		t.Fatalf("got %d %s", res.StatusCode, body)
	}
}

func TestHomeRendersThroughLayout(t *testing.T) {
	s := newServer(t, dbtest.NewURL(t))
	res, body := get(t, s, "/", map[string]string{"Accept": "text/html"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
	for _, want := range []string{
		`<html lang="en"`, // the layout
		`<title>Board · Micboard</title>`,
		`id="toasts"`,
		`Add a receiver to fill the board`, // the empty board
		`RX offline`,                       // the status legend (partial)
		`Micboard <span class="font-mono text-stage-400">test</span>`, // footer version
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if !regexp.MustCompile(`href="/static/css/app\.css\?v=[0-9a-f]{12}"`).MatchString(body) {
		t.Error("stylesheet link lacks its content hash")
	}
}

func TestHomeForHTMXIsAFragment(t *testing.T) {
	s := newServer(t, "")
	res, body := get(t, s, "/", map[string]string{"HX-Request": "true", "Accept": "text/html"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if strings.Contains(body, "<html") || !strings.Contains(body, "sse-connect=") {
		t.Fatalf("want the page content without the layout, got %.200s", body)
	}
	if vary := strings.Join(res.Header.Values("Vary"), ", "); !strings.Contains(vary, "HX-Request") {
		t.Errorf("Vary = %q", vary)
	}
	// A boosted request swaps the whole body: it gets the whole page.
	_, body = get(t, s, "/", map[string]string{"HX-Request": "true", "HX-Boosted": "true"})
	if !strings.Contains(body, "<html") {
		t.Fatal("boosted request did not get the layout")
	}
}

func TestStaticFiles(t *testing.T) {
	s := newServer(t, "")
	_, page := get(t, s, "/", nil)
	hash := regexp.MustCompile(`/static/css/app\.css\?v=([0-9a-f]+)`).FindStringSubmatch(page)
	if hash == nil {
		t.Fatal("no stylesheet link on the page")
	}
	tests := []struct {
		path, header, value string
		status              int
		contentType, cache  string
	}{
		{"/static/css/app.css?v=" + hash[1], "", "", 200, "text/css", "immutable"},
		{"/static/css/app.css", "", "", 200, "text/css", "max-age=300"},
		{"/static/css/app.css", "If-None-Match", `"` + hash[1] + `"`, 304, "", ""},
		{"/static/js/htmx.min.js", "", "", 200, "javascript", "public"},
		{"/static/js/sse.js", "", "", 200, "javascript", "public"},
		{"/static/img/favicon.svg", "", "", 200, "image/svg+xml", "public"},
		{"/static/css/input.css", "", "", 404, "", ""},
		{"/static/../embed.go", "", "", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path+tt.header, func(t *testing.T) {
			res, body := get(t, s, tt.path, map[string]string{tt.header: tt.value})
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if len(body) == 0 {
				t.Fatal("empty body")
			}
			if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, tt.contentType) {
				t.Errorf("Content-Type = %q, want %q", ct, tt.contentType)
			}
			if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, tt.cache) {
				t.Errorf("Cache-Control = %q, want %q", cc, tt.cache)
			}
			if res.Header.Get("ETag") == "" {
				t.Error("no ETag")
			}
		})
	}
}

func TestNotFoundAnswersInKind(t *testing.T) {
	s := newServer(t, "")
	tests := []struct {
		name    string
		headers map[string]string
		ctype   string
		want    []string
	}{
		{"browser", map[string]string{"Accept": "text/html,application/xhtml+xml"}, "text/html", []string{"<html", "404", "Not Found", "Back to the board"}},
		{"htmx", map[string]string{"Accept": "text/html", "HX-Request": "true"}, "text/html", []string{`role="alert"`, "Not Found"}},
		{"api", map[string]string{"Accept": "application/json"}, "application/json", []string{`"status":404`}},
		{"curl", map[string]string{"Accept": "*/*"}, "text/plain", []string{"no page at this address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, s, "/no/such/page", tt.headers)
			if res.StatusCode != http.StatusNotFound {
				t.Fatalf("status = %d", res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type = %q, want %q", ct, tt.ctype)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q: %.300s", w, body)
				}
			}
			if tt.name == "htmx" && (res.Header.Get("HX-Retarget") != "#toasts" || strings.Contains(body, "<html")) {
				t.Errorf("htmx error: HX-Retarget = %q, body %.100s", res.Header.Get("HX-Retarget"), body)
			}
		})
	}
}

func TestServeShutsDownGracefully(t *testing.T) {
	s := newServer(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := web.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	res, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("healthz = %d", res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	select {
	case <-s.Stopping():
	default:
		t.Fatal("Stopping not closed")
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Fatal("still answering after shutdown")
	}
}
