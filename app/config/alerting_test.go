package config

import (
	"strings"
	"testing"
	"time"
)

func TestAlertingVars(t *testing.T) {
	parse := func(env map[string]string) (Config, error) {
		return Parse(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	}
	c, err := parse(map[string]string{})
	if err != nil || c.SMTPURL != "" || c.MQTTURL != "" || c.AlertRepeat != 5*time.Minute ||
		c.AlertEscalateAfter != 10*time.Minute || c.TimeZone != time.Local {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	c, err = parse(map[string]string{"MICBOARD_ALERT_ESCALATE_AFTER": "0", "MICBOARD_TIME_ZONE": "Europe/Berlin"})
	if err != nil || c.AlertEscalateAfter != 0 || c.TimeZone.String() != "Europe/Berlin" {
		t.Fatalf("no escalation, Berlin: %+v, %v", c, err)
	}
	c, err = parse(map[string]string{"MICBOARD_SMTP_URL": "smtp://a:b@mail:587", "MICBOARD_SMTP_FROM": "Micboard <m@x.org>",
		"MICBOARD_MQTT_URL": "mqtt://127.0.0.1:1883", "MICBOARD_ALERT_REPEAT": "30s"})
	if err != nil || c.SMTPURL == "" || c.MQTTURL == "" || c.AlertRepeat != 30*time.Second {
		t.Fatalf("set: %+v, %v", c, err)
	}
	for env, want := range map[string]string{
		"MICBOARD_SMTP_URL=http://x":        "MICBOARD_SMTP_URL",
		"MICBOARD_SMTP_URL=smtp://u:pw@h":   "MICBOARD_SMTP_FROM=\"\"", // a sender is needed
		"MICBOARD_SMTP_FROM=not an address": "MICBOARD_SMTP_FROM",
		"MICBOARD_MQTT_URL=ws://h":          "MICBOARD_MQTT_URL",
		"MICBOARD_ALERT_REPEAT=1s":          "MICBOARD_ALERT_REPEAT",
		"MICBOARD_ALERT_ESCALATE_AFTER=10s": "MICBOARD_ALERT_ESCALATE_AFTER",
		"MICBOARD_ALERT_ESCALATE_AFTER=2d":  "MICBOARD_ALERT_ESCALATE_AFTER",
		"MICBOARD_TIME_ZONE=Mars/Olympus":   "MICBOARD_TIME_ZONE",
	} {
		k, v, _ := strings.Cut(env, "=")
		_, err := parse(map[string]string{k: v})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", env, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: the error shows the password: %v", env, err)
		}
	}
}
