package config

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	c, err := Parse(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":8058" || c.MeterRate != time.Second || c.LogLevel != slog.LevelInfo || c.RedisURL != "" || c.PublicBoard {
		t.Fatalf("defaults = %+v", c)
	}
	// Secure by default: no forwarded header believed, no profiler.
	if len(c.TrustedProxies) != 0 || c.PprofListen != "" || c.PprofAllowRemote {
		t.Fatalf("defaults trust proxies or serve the profiler: %+v", c)
	}
	if c.SessionIdle != 12*time.Hour || c.SessionMaxAge != 7*24*time.Hour {
		t.Fatalf("session expiry = idle %v, absolute %v", c.SessionIdle, c.SessionMaxAge)
	}
	if c.MaxStreams != 5000 || c.MaxConnsPerClient != 256 {
		t.Fatalf("limits = %d streams, %d connections per client", c.MaxStreams, c.MaxConnsPerClient)
	}
	if !strings.HasPrefix(c.DatabaseURL, "postgres://postgres@127.0.0.1:5432/micboard") {
		t.Fatalf("database default = %s", c.DatabaseURL)
	}
}

func TestValidValues(t *testing.T) {
	c, err := Parse(lookup(map[string]string{
		"MICBOARD_LISTEN": "127.0.0.1:9000", "MICBOARD_METER_RATE": "250ms", "MICBOARD_LOG_LEVEL": "debug",
		"MICBOARD_REDIS_URL": "redis://127.0.0.1:6379/0", "MICBOARD_PUBLIC_BOARD": "true",
		"MICBOARD_SESSION_SECRET": strings.Repeat("s", 32),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MeterRate != 250*time.Millisecond || c.LogLevel != slog.LevelDebug || !c.PublicBoard || c.Listen != "127.0.0.1:9000" {
		t.Fatalf("parsed = %+v", c)
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	cases := map[string]string{
		"MICBOARD_LISTEN":               "nonsense",
		"MICBOARD_METER_RATE":           "5ms",
		"MICBOARD_LOG_LEVEL":            "loud",
		"MICBOARD_DATABASE_URL":         "mysql://x",
		"MICBOARD_REDIS_URL":            "localhost:6379",
		"MICBOARD_SESSION_SECRET":       "short",
		"MICBOARD_PUBLIC_BOARD":         "maybe",
		"MICBOARD_TRUSTED_PROXIES":      "10.0.0.1, proxy.local",
		"MICBOARD_MAX_CONNS_PER_CLIENT": "-1",
		"MICBOARD_MAX_STREAMS":          "0",
		"MICBOARD_PPROF_LISTEN":         "6060",
		"MICBOARD_PPROF_ALLOW_REMOTE":   "perhaps",
		"MICBOARD_SESSION_IDLE":         "1s",
		"MICBOARD_SESSION_MAX_AGE":      "forever",
	}
	for name, value := range cases {
		_, err := Parse(lookup(map[string]string{name: value}))
		var errs Errors
		if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Name != name {
			t.Errorf("%s=%q: got %v", name, value, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, name) || strings.Contains(msg, "\n") {
			t.Errorf("%s: message %q must name the variable on one line", name, msg)
		}
	}
	if _, err := Parse(lookup(map[string]string{"MICBOARD_SESSION_SECRET": "short"})); strings.Contains(err.Error(), "short") {
		t.Error("the session secret leaked into the error")
	}
}

func TestSessionIdleWithinMaxAge(t *testing.T) {
	c, err := Parse(lookup(map[string]string{"MICBOARD_SESSION_IDLE": "30m", "MICBOARD_SESSION_MAX_AGE": "2h"}))
	if err != nil || c.SessionIdle != 30*time.Minute || c.SessionMaxAge != 2*time.Hour {
		t.Fatalf("parsed %v %v: %v", c.SessionIdle, c.SessionMaxAge, err)
	}
	_, err = Parse(lookup(map[string]string{"MICBOARD_SESSION_IDLE": "48h", "MICBOARD_SESSION_MAX_AGE": "24h"}))
	if err == nil || !strings.Contains(err.Error(), "MICBOARD_SESSION_IDLE") {
		t.Fatalf("idle longer than max age: %v", err)
	}
}

func TestAllBadVariablesReported(t *testing.T) {
	_, err := Parse(lookup(map[string]string{"MICBOARD_LISTEN": "x", "MICBOARD_METER_RATE": "fast"}))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("want both problems, got %v", err)
	}
}

func TestUsageListsEveryVariable(t *testing.T) {
	u := Usage()
	for _, v := range Vars {
		if !strings.Contains(u, v.Name) {
			t.Errorf("usage lacks %s", v.Name)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := Parse(lookup(map[string]string{"MICBOARD_TRUSTED_PROXIES": " 10.1.0.0/16, 192.0.2.7 ,2001:db8::/32,"}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range c.TrustedProxies {
		got = append(got, n.String())
	}
	if want := "10.1.0.0/16 192.0.2.7/32 2001:db8::/32"; strings.Join(got, " ") != want {
		t.Fatalf("proxies = %v, want %s", got, want)
	}
}

func TestPprofStaysOnLoopback(t *testing.T) {
	tests := []struct {
		listen, allow string
		ok            bool
	}{
		{"127.0.0.1:6060", "", true},
		{"[::1]:6060", "", true},
		{"localhost:6060", "", true},
		{"0.0.0.0:6060", "", false},
		{":6060", "", false},
		{"192.0.2.1:6060", "", false},
		{"0.0.0.0:6060", "true", true},
		{":6060", "true", true},
	}
	for _, tt := range tests {
		c, err := Parse(lookup(map[string]string{"MICBOARD_PPROF_LISTEN": tt.listen, "MICBOARD_PPROF_ALLOW_REMOTE": tt.allow}))
		if tt.ok != (err == nil) {
			t.Errorf("listen %q allow %q: err = %v", tt.listen, tt.allow, err)
			continue
		}
		if err == nil && c.PprofListen != tt.listen {
			t.Errorf("PprofListen = %q", c.PprofListen)
		}
		if err != nil && !strings.Contains(err.Error(), "MICBOARD_PPROF_ALLOW_REMOTE") {
			t.Errorf("refusal %q does not say how to allow it", err)
		}
	}
}
