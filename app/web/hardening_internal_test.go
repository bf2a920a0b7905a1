package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"micboard/app/config"
	"micboard/app/db/dbtest"
	"micboard/app/service"
	"micboard/app/store"
)

func configFrom(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Parse(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Every GET route answers HEAD the same way: status and content type,
// without a body, and a live stream's HEAD ends instead of streaming.
func TestHeadAnswersEveryGetRoute(t *testing.T) {
	bdb := dbtest.New(t)
	st := store.New(bdb)
	_, token, err := service.NewKiosks(st).Create(context.Background(), service.KioskInput{Name: "Wall"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Config: configFrom(t, nil), DB: bdb, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer(":token", token, ":id", "1", "*", "css/app.css")

	do := func(method, path string, d time.Duration) (*httptest.ResponseRecorder, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		req := httptest.NewRequest(method, path, nil).WithContext(ctx)
		req.Header.Set("Accept", "text/html")
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { s.Handler().ServeHTTP(rec, req); close(done) }()
		select {
		case <-done:
			return rec, true
		case <-time.After(d + 2*time.Second):
			return nil, false
		}
	}
	gets := 0
	for _, r := range s.echo.Routes() {
		if r.Method != http.MethodGet {
			continue
		}
		gets++
		path := fill.Replace(r.Path)
		t.Run(path, func(t *testing.T) {
			// A stream's GET runs until its context ends.
			get, ok := do(http.MethodGet, path, 300*time.Millisecond)
			if !ok {
				t.Fatal("GET did not end with its context")
			}
			head, ok := do(http.MethodHead, path, time.Minute)
			if !ok {
				t.Fatal("HEAD did not end by itself")
			}
			if head.Code != get.Code {
				t.Fatalf("HEAD = %d, GET = %d", head.Code, get.Code)
			}
			if hct, gct := head.Header().Get("Content-Type"), get.Header().Get("Content-Type"); hct != gct {
				t.Fatalf("HEAD Content-Type %q, GET %q", hct, gct)
			}
		})
	}
	if gets < 9 {
		t.Fatalf("walked %d GET routes; the route table has more", gets)
	}
}

func TestClientAddressFromTrustedProxiesOnly(t *testing.T) {
	tests := []struct {
		name, proxies, peer, xff, want string
	}{
		{"no proxy trusted: loopback peer", "", "127.0.0.1", "203.0.113.9", "127.0.0.1"},
		{"no proxy trusted: private peer", "", "10.0.0.1", "203.0.113.9", "10.0.0.1"},
		{"trusted proxy", "10.0.0.0/8", "10.0.0.1", "203.0.113.9", "203.0.113.9"},
		{"trusted proxy, forged hop before it", "10.0.0.0/8", "10.0.0.1", "198.51.100.1, 203.0.113.9", "203.0.113.9"},
		{"untrusted peer claims a trusted proxy", "10.0.0.1", "192.168.1.5", "203.0.113.9", "192.168.1.5"},
		{"loopback not trusted unless listed", "10.0.0.1", "127.0.0.1", "203.0.113.9", "127.0.0.1"},
		{"no header", "10.0.0.0/8", "10.0.0.1", "", "10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Deps{Config: configFrom(t, map[string]string{"MICBOARD_TRUSTED_PROXIES": tt.proxies})})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tt.peer + ":40000"
			if tt.xff != "" {
				req.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := s.echo.IPExtractor(req); got != tt.want {
				t.Fatalf("client = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestErrorMessagesCapEchoedInput(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	tests := []struct{ in, want string }{
		{`loc="12" is not a location id`, `loc="12" is not a location id`},
		{`loc="` + long + `" is not a location id`, `loc="` + strings.Repeat("x", maxEchoedInput) + `…" is not a location id`},
		{`say "hi" and "` + strings.Repeat("é", 70) + `"`, `say "hi" and "` + strings.Repeat("é", 64) + `…"`},
		{`an "unterminated ` + long, `an "unterminated ` + strings.Repeat("x", maxShownErrorLen-len(`an "unterminated `)) + "…"},
	}
	for _, tt := range tests {
		_, got := statusOf(badRequest(tt.in))
		if got != tt.want {
			t.Errorf("message for %.40q... = %.120q, want %.120q", tt.in, got, tt.want)
		}
	}
}

type badRequest string

func (e badRequest) Error() string   { return string(e) }
func (e badRequest) HTTPStatus() int { return http.StatusBadRequest }
