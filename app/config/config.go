// Package config reads Micboard's settings from MICBOARD_* environment
// variables once at start-up and validates them, so a bad value stops the
// process with a message naming the variable instead of failing later.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting Micboard reads from the environment.
type Config struct {
	DatabaseURL   string
	Listen        string
	RedisURL      string
	SessionSecret string
	LogLevel      slog.Level
	MeterRate     time.Duration
	PublicBoard   bool
}

// Var describes one environment variable: its name, default and help text.
type Var struct {
	Name    string
	Default string
	Help    string
}

// Vars lists every variable Micboard reads, in the order `--help` prints them.
var Vars = []Var{
	{"MICBOARD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/micboard?sslmode=disable", "PostgreSQL connection URL"},
	{"MICBOARD_LISTEN", ":8058", "address the web server listens on (host:port)"},
	{"MICBOARD_REDIS_URL", "", "Redis URL for the shared cache (empty: in-memory cache)"},
	{"MICBOARD_SESSION_SECRET", "", "secret that signs login cookies, at least 32 bytes (empty: a random one per start, logins do not survive a restart)"},
	{"MICBOARD_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"MICBOARD_METER_RATE", "1s", "how often receivers send meter samples (100ms to 60s)"},
	{"MICBOARD_PUBLIC_BOARD", "false", "true lets anyone read the board without logging in"},
}

// FieldError names the variable that holds a bad value.
type FieldError struct {
	Name  string
	Value string
	Why   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s=%q: %s", e.Name, e.Value, e.Why)
}

// Errors lists every bad variable; it prints as one line so start-up fails
// with a single readable message.
type Errors []*FieldError

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Error()
	}
	return "invalid configuration: " + strings.Join(parts, "; ")
}

// Load reads the process environment.
func Load() (Config, error) { return Parse(os.LookupEnv) }

// Parse builds a Config from a lookup function (os.LookupEnv in production,
// a map in tests). Every bad variable is reported, not just the first.
func Parse(lookup func(string) (string, bool)) (Config, error) {
	get := func(name string) string {
		if v, ok := lookup(name); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		for _, v := range Vars {
			if v.Name == name {
				return v.Default
			}
		}
		return ""
	}
	var errs Errors
	bad := func(name, value, why string) { errs = append(errs, &FieldError{name, value, why}) }

	c := Config{
		DatabaseURL:   get("MICBOARD_DATABASE_URL"),
		Listen:        get("MICBOARD_LISTEN"),
		RedisURL:      get("MICBOARD_REDIS_URL"),
		SessionSecret: get("MICBOARD_SESSION_SECRET"),
	}

	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		bad("MICBOARD_DATABASE_URL", c.DatabaseURL, "want postgres://user@host:port/dbname")
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		bad("MICBOARD_LISTEN", c.Listen, "want host:port or :port")
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		bad("MICBOARD_LISTEN", c.Listen, "port must be a number from 0 to 65535")
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			bad("MICBOARD_REDIS_URL", c.RedisURL, "want redis://host:port/db")
		}
	}
	if c.SessionSecret != "" && len(c.SessionSecret) < 32 {
		bad("MICBOARD_SESSION_SECRET", "(hidden)", "must be at least 32 bytes")
	}
	level := get("MICBOARD_LOG_LEVEL")
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		bad("MICBOARD_LOG_LEVEL", level, "want debug, info, warn or error")
	}
	rate := get("MICBOARD_METER_RATE")
	if d, err := time.ParseDuration(rate); err != nil {
		bad("MICBOARD_METER_RATE", rate, "want a duration such as 1s or 500ms")
	} else if d < 100*time.Millisecond || d > 60*time.Second {
		bad("MICBOARD_METER_RATE", rate, "must be between 100ms and 60s")
	} else {
		c.MeterRate = d
	}
	pub := get("MICBOARD_PUBLIC_BOARD")
	if b, err := strconv.ParseBool(pub); err != nil {
		bad("MICBOARD_PUBLIC_BOARD", pub, "want true or false")
	} else {
		c.PublicBoard = b
	}
	if len(errs) > 0 {
		return Config{}, errs
	}
	return c, nil
}

// Usage returns the variables with their defaults, for `micboard serve --help`.
func Usage() string {
	var b strings.Builder
	b.WriteString("Environment variables:\n")
	for _, v := range Vars {
		def := v.Default
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(&b, "  %-24s %s\n  %-24s default: %s\n", v.Name, v.Help, "", def)
	}
	return b.String()
}
