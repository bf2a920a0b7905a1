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

	"micboard/app/secret"
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
	// SecretKey seals receiver passwords in the database (nil: none can be
	// stored). Its String never shows the key.
	SecretKey *secret.Key

	// SessionIdle ends a login unused for this long; SessionMaxAge ends any
	// login this long after it began, used or not.
	SessionIdle   time.Duration
	SessionMaxAge time.Duration

	// TrustedProxies are the peers whose X-Forwarded-For header names the
	// client; empty trusts none, so a client cannot forge its address.
	TrustedProxies []*net.IPNet
	// MaxConnsPerClient caps open connections from one address (0: no cap).
	MaxConnsPerClient int
	// MaxStreams caps the live streams (SSE) one instance serves.
	MaxStreams int
	// PprofListen is where Go's profiler is served ("": off).
	PprofListen      string
	PprofAllowRemote bool

	// SlowRequest is how long a request may take before it is logged at
	// WARN (0: never).
	SlowRequest time.Duration
	// MetricsPublic lets anyone read GET /metrics.
	MetricsPublic bool

	// APIRateRead and APIRateWrite limit API calls per token, or per client
	// address without one: reads (GET, HEAD) and writes have their own budgets.
	APIRateRead  Rate
	APIRateWrite Rate

	// SMTPURL and SMTPFrom send alert mail ("": no mail); MQTTURL publishes
	// alerts and channel states ("": no MQTT); AlertRepeat is the least time
	// between two alerts of one kind on one channel.
	SMTPURL     string
	SMTPFrom    string
	MQTTURL     string
	AlertRepeat time.Duration
	// AlertEscalateAfter is how long a critical alert may stay
	// unacknowledged before it goes to the next escalation contact (0: no
	// escalation); TimeZone is the zone of quiet hours for users who set
	// none.
	AlertEscalateAfter time.Duration
	TimeZone           *time.Location

	// LeaseTTL is how long a receiver may go unwatched when the instance
	// watching it dies; InstanceID names this instance ("": generated).
	LeaseTTL   time.Duration
	InstanceID string
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
	{"MICBOARD_SECRET_KEY", "", "32 random bytes as base64 or hex (openssl rand -base64 32) that encrypt receiver passwords (Sennheiser SSCv2) in the database; without it no password can be stored"},
	{"MICBOARD_SESSION_IDLE", "12h", "a login ends after this long without a request (5m to 720h)"},
	{"MICBOARD_SESSION_MAX_AGE", "168h", "a login ends this long after it began, in use or not (1h to 8760h)"},
	{"MICBOARD_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"MICBOARD_METER_RATE", "1s", "how often receivers send meter samples (100ms to 60s)"},
	{"MICBOARD_PUBLIC_BOARD", "false", "true lets anyone read the board without logging in"},
	{"MICBOARD_TRUSTED_PROXIES", "", "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed (empty: none, the peer address is the client)"},
	{"MICBOARD_MAX_CONNS_PER_CLIENT", "256", "open connections allowed from one client address; trusted proxies are exempt (0: no cap)"},
	{"MICBOARD_MAX_STREAMS", "5000", "live board streams one instance serves at once; past it streams answer 503"},
	{"MICBOARD_PPROF_LISTEN", "", "host:port to serve Go's profiler (/debug/pprof/) on, loopback only unless allowed (empty: off)"},
	{"MICBOARD_PPROF_ALLOW_REMOTE", "false", "true lets MICBOARD_PPROF_LISTEN bind a non-loopback address"},
	{"MICBOARD_SLOW_REQUEST", "1s", "a request that takes longer is logged at WARN (0 to 1h; 0: never)"},
	{"MICBOARD_METRICS_PUBLIC", "false", "true lets anyone read GET /metrics (Prometheus); otherwise only an admin"},
	{"MICBOARD_API_RATE_READ", "120/1m", "API reads (GET) allowed per token, or per client address without one, as requests/period; over it the API answers 429 with Retry-After"},
	{"MICBOARD_API_RATE_WRITE", "30/1m", "API writes (POST, PATCH, PUT, DELETE) allowed per token, or per client address without one, as requests/period"},
	{"MICBOARD_SMTP_URL", "", "mail server for alert e-mail, smtp://[user:password@]host[:port] (empty: no e-mail)"},
	{"MICBOARD_SMTP_FROM", "", "sender of alert e-mail, e.g. Micboard <micboard@example.org> (needed with MICBOARD_SMTP_URL)"},
	{"MICBOARD_MQTT_URL", "", "MQTT broker for alerts and channel states, mqtt://host[:port] (empty: no MQTT)"},
	{"MICBOARD_ALERT_REPEAT", "5m", "least time between two alerts of one kind on one channel (10s to 24h)"},
	{"MICBOARD_ALERT_ESCALATE_AFTER", "10m", "a critical alert nobody acknowledges within this goes by e-mail to the first escalation contact, and as long again to each next one (1m to 24h; 0: never)"},
	{"MICBOARD_TIME_ZONE", "Local", "IANA time zone (such as Europe/Berlin) of users' quiet hours where they set none; Local: the server's"},
	{"MICBOARD_LEASE_TTL", "10s", "with several instances on one database: the longest a receiver goes unwatched when its instance dies, before another takes it over (3s to 5m)"},
	{"MICBOARD_INSTANCE_ID", "", "this instance's name among several on one database, unique while it runs (empty: host name and the port of MICBOARD_LISTEN, so a restarted instance takes its receivers back at once)"},
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
	if v := get("MICBOARD_SECRET_KEY"); v != "" {
		// The value is never echoed: it decrypts every stored password.
		if k, err := secret.ParseKey(v); err != nil {
			bad("MICBOARD_SECRET_KEY", "(hidden)", err.Error())
		} else {
			c.SecretKey = k
		}
	}
	c.SessionIdle = durationIn(get, bad, "MICBOARD_SESSION_IDLE", 5*time.Minute, 720*time.Hour)
	c.SessionMaxAge = durationIn(get, bad, "MICBOARD_SESSION_MAX_AGE", time.Hour, 8760*time.Hour)
	c.LeaseTTL = durationIn(get, bad, "MICBOARD_LEASE_TTL", 3*time.Second, 5*time.Minute)
	if id := get("MICBOARD_INSTANCE_ID"); len(id) > 100 || strings.TrimSpace(id) != id {
		bad("MICBOARD_INSTANCE_ID", id, "at most 100 characters, no surrounding spaces")
	} else {
		c.InstanceID = id
	}
	if c.SessionIdle > c.SessionMaxAge && c.SessionMaxAge > 0 {
		bad("MICBOARD_SESSION_IDLE", get("MICBOARD_SESSION_IDLE"), "must not be longer than MICBOARD_SESSION_MAX_AGE")
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
	proxies := get("MICBOARD_TRUSTED_PROXIES")
	if nets, err := parseNets(proxies); err != nil {
		bad("MICBOARD_TRUSTED_PROXIES", proxies, err.Error())
	} else {
		c.TrustedProxies = nets
	}
	c.MaxConnsPerClient = intIn(get, bad, "MICBOARD_MAX_CONNS_PER_CLIENT", 0, 1_000_000)
	c.MaxStreams = intIn(get, bad, "MICBOARD_MAX_STREAMS", 1, 1_000_000)
	remote := get("MICBOARD_PPROF_ALLOW_REMOTE")
	if b, err := strconv.ParseBool(remote); err != nil {
		bad("MICBOARD_PPROF_ALLOW_REMOTE", remote, "want true or false")
	} else {
		c.PprofAllowRemote = b
	}
	c.PprofListen = get("MICBOARD_PPROF_LISTEN")
	if c.PprofListen != "" {
		if why := checkPprofListen(c.PprofListen, c.PprofAllowRemote); why != "" {
			bad("MICBOARD_PPROF_LISTEN", c.PprofListen, why)
		}
	}
	slow := get("MICBOARD_SLOW_REQUEST")
	if d, err := time.ParseDuration(slow); err != nil || d < 0 || d > time.Hour {
		bad("MICBOARD_SLOW_REQUEST", slow, "want a duration from 0 to 1h, such as 1s or 500ms")
	} else {
		c.SlowRequest = d
	}
	metricsPublic := get("MICBOARD_METRICS_PUBLIC")
	if b, err := strconv.ParseBool(metricsPublic); err != nil {
		bad("MICBOARD_METRICS_PUBLIC", metricsPublic, "want true or false")
	} else {
		c.MetricsPublic = b
	}
	parseAlerting(&c, get, bad)
	parseAPIRates(&c, get, bad)
	if len(errs) > 0 {
		return Config{}, errs
	}
	return c, nil
}

// intIn reads a whole number between lo and hi.
func intIn(get func(string) string, bad func(name, value, why string), name string, lo, hi int) int {
	v := get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		bad(name, v, fmt.Sprintf("want a whole number from %d to %d", lo, hi))
		return 0
	}
	return n
}

// durationIn reads a duration between lo and hi.
func durationIn(get func(string) string, bad func(name, value, why string), name string, lo, hi time.Duration) time.Duration {
	v := get(name)
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		bad(name, v, fmt.Sprintf("want a duration from %s to %s, such as 12h", fmtDuration(lo), fmtDuration(hi)))
		return 0
	}
	return d
}

// fmtDuration prints 5m or 720h rather than 5m0s or 720h0m0s.
func fmtDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}

// parseNets reads a comma-separated list of IPs and CIDRs; a lone IP is a
// network of one address.
func parseNets(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if _, n, err := net.ParseCIDR(part); err == nil {
			out = append(out, n)
			continue
		}
		ip := net.ParseIP(part)
		if ip == nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR such as 10.0.0.0/8", part)
		}
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
	}
	return out, nil
}

// checkPprofListen says why addr may not serve the profiler, or "". The
// profiler shows memory and stacks, so it stays on loopback unless the
// operator says otherwise.
func checkPprofListen(addr string, allowRemote bool) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "want host:port, such as 127.0.0.1:6060"
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return "port must be a number from 0 to 65535"
	}
	if allowRemote || host == "localhost" {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return ""
	}
	return "the profiler listens on loopback only (127.0.0.1, ::1, localhost) unless MICBOARD_PPROF_ALLOW_REMOTE=true"
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
