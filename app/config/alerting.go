package config

import (
	"net/mail"
	"net/url"
	"time"
)

// parseAlerting reads where alerts are delivered and how often they may
// repeat.
func parseAlerting(c *Config, get func(string) string, bad func(name, value, why string)) {
	c.SMTPURL, c.SMTPFrom, c.MQTTURL = get("MICBOARD_SMTP_URL"), get("MICBOARD_SMTP_FROM"), get("MICBOARD_MQTT_URL")
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
			bad("MICBOARD_SMTP_URL", redactURL(c.SMTPURL), "want smtp://[user:password@]host[:port]")
		}
		if c.SMTPFrom == "" {
			bad("MICBOARD_SMTP_FROM", "", "give the sender of alert e-mail, e.g. Micboard <micboard@example.org>")
		}
	}
	if c.SMTPFrom != "" {
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			bad("MICBOARD_SMTP_FROM", c.SMTPFrom, "want an address such as micboard@example.org or Micboard <micboard@example.org>")
		}
	}
	if c.MQTTURL != "" {
		if u, err := url.Parse(c.MQTTURL); err != nil || (u.Scheme != "mqtt" && u.Scheme != "tcp") || u.Hostname() == "" {
			bad("MICBOARD_MQTT_URL", redactURL(c.MQTTURL), "want mqtt://host[:port]")
		}
	}
	repeat := get("MICBOARD_ALERT_REPEAT")
	if d, err := time.ParseDuration(repeat); err != nil || d < 10*time.Second || d > 24*time.Hour {
		bad("MICBOARD_ALERT_REPEAT", repeat, "want a duration from 10s to 24h, such as 5m")
	} else {
		c.AlertRepeat = d
	}
	esc := get("MICBOARD_ALERT_ESCALATE_AFTER")
	if d, err := time.ParseDuration(esc); esc == "0" {
		c.AlertEscalateAfter = 0
	} else if err != nil || d < time.Minute || d > 24*time.Hour {
		bad("MICBOARD_ALERT_ESCALATE_AFTER", esc, "want a duration from 1m to 24h, such as 10m, or 0 for no escalation")
	} else {
		c.AlertEscalateAfter = d
	}
	tz := get("MICBOARD_TIME_ZONE")
	if loc, err := time.LoadLocation(tz); err != nil {
		bad("MICBOARD_TIME_ZONE", tz, "want an IANA time zone such as Europe/Berlin, UTC or Local")
	} else {
		c.TimeZone = loc
	}
}

// redactURL hides a password in a URL that is echoed in an error.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "hidden")
	}
	return u.String()
}
