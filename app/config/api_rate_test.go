package config

import (
	"strings"
	"testing"
	"time"
)

func TestAPIRates(t *testing.T) {
	for _, tt := range []struct {
		env         map[string]string
		read, write Rate
		bad         string
	}{
		{nil, Rate{120, time.Minute}, Rate{30, time.Minute}, ""},
		{map[string]string{"MICBOARD_API_RATE_READ": "10/1s", "MICBOARD_API_RATE_WRITE": " 5 / 1h "}, Rate{10, time.Second}, Rate{5, time.Hour}, ""},
		{map[string]string{"MICBOARD_API_RATE_READ": "120"}, Rate{}, Rate{}, "MICBOARD_API_RATE_READ"},
		{map[string]string{"MICBOARD_API_RATE_READ": "0/1m"}, Rate{}, Rate{}, "MICBOARD_API_RATE_READ"},
		{map[string]string{"MICBOARD_API_RATE_WRITE": "30/minute"}, Rate{}, Rate{}, "MICBOARD_API_RATE_WRITE"},
		{map[string]string{"MICBOARD_API_RATE_WRITE": "30/100ms"}, Rate{}, Rate{}, "MICBOARD_API_RATE_WRITE"},
	} {
		c, err := Parse(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
		if tt.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tt.bad) || !strings.Contains(err.Error(), "120/1m") {
				t.Errorf("%v: %v, want an error naming %s", tt.env, err, tt.bad)
			}
			continue
		}
		if err != nil || c.APIRateRead != tt.read || c.APIRateWrite != tt.write {
			t.Errorf("%v: %v %v %v", tt.env, c.APIRateRead, c.APIRateWrite, err)
		}
	}
}
