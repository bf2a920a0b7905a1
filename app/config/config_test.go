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
		"MICBOARD_LISTEN":         "nonsense",
		"MICBOARD_METER_RATE":     "5ms",
		"MICBOARD_LOG_LEVEL":      "loud",
		"MICBOARD_DATABASE_URL":   "mysql://x",
		"MICBOARD_REDIS_URL":      "localhost:6379",
		"MICBOARD_SESSION_SECRET": "short",
		"MICBOARD_PUBLIC_BOARD":   "maybe",
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
