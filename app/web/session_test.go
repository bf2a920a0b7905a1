package web_test

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"micboard/app/web"
)

func TestSessionCookie(t *testing.T) {
	tests := []struct {
		name       string
		tls        bool
		proto      string
		wantSecure bool
	}{
		{"plain http", false, "", false},
		{"tls", true, "", true},
		{"https proxy", false, "https", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := web.NewSessionStore(strings.Repeat("k", 32), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			sess, err := store.Get(req, web.SessionName)
			if err != nil {
				t.Fatal(err)
			}
			// A marker long enough never to appear in ciphertext by chance.
			sess.Values["user"] = 42
			sess.Values["marker"] = "plain-text-marker-micboard"
			rec := httptest.NewRecorder()
			if err := sess.Save(req, rec); err != nil {
				t.Fatal(err)
			}
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("%d cookies", len(cookies))
			}
			c := cookies[0]
			if c.Name != web.SessionName || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != tt.wantSecure || c.Path != "/" {
				t.Fatalf("cookie = %+v", c)
			}
			if strings.Contains(c.Value, "plain-text-marker") {
				t.Fatal("cookie value is not encrypted")
			}

			// The cookie reads back with the same secret...
			back := httptest.NewRequest(http.MethodGet, "/", nil)
			back.AddCookie(c)
			again, err := store.Get(back, web.SessionName)
			if err != nil || again.Values["user"] != 42 {
				t.Fatalf("read back: %v, %v", again.Values, err)
			}
			// ...and not with another one.
			other, _ := web.NewSessionStore(strings.Repeat("x", 32), slog.New(slog.DiscardHandler))
			stranger := httptest.NewRequest(http.MethodGet, "/", nil)
			stranger.AddCookie(c)
			if s, err := other.Get(stranger, web.SessionName); err == nil || !s.IsNew {
				t.Fatal("a cookie signed with another secret was accepted")
			}
		})
	}
}

func TestSessionRandomKeyWarns(t *testing.T) {
	var buf bytes.Buffer
	if _, err := web.NewSessionStore("", slog.New(slog.NewTextHandler(&buf, nil))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "MICBOARD_SESSION_SECRET") {
		t.Fatalf("log = %q", buf.String())
	}
}
