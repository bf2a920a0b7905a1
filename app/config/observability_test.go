package config

import (
	"errors"
	"testing"
	"time"
)

func TestSlowRequestAndMetricsPublic(t *testing.T) {
	tests := []struct {
		env      map[string]string
		slow     time.Duration
		public   bool
		badVarOK string // the variable the error must name ("": valid)
	}{
		{nil, time.Second, false, ""},
		{map[string]string{"MICBOARD_SLOW_REQUEST": "250ms", "MICBOARD_METRICS_PUBLIC": "true"}, 250 * time.Millisecond, true, ""},
		{map[string]string{"MICBOARD_SLOW_REQUEST": "0"}, 0, false, ""},
		{map[string]string{"MICBOARD_SLOW_REQUEST": "-1s"}, 0, false, "MICBOARD_SLOW_REQUEST"},
		{map[string]string{"MICBOARD_SLOW_REQUEST": "2h"}, 0, false, "MICBOARD_SLOW_REQUEST"},
		{map[string]string{"MICBOARD_SLOW_REQUEST": "soon"}, 0, false, "MICBOARD_SLOW_REQUEST"},
		{map[string]string{"MICBOARD_METRICS_PUBLIC": "yes please"}, 0, false, "MICBOARD_METRICS_PUBLIC"},
	}
	for _, tt := range tests {
		c, err := Parse(lookup(tt.env))
		if tt.badVarOK != "" {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Name != tt.badVarOK {
				t.Errorf("%v: err = %v, want one naming %s", tt.env, err, tt.badVarOK)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.env, err)
			continue
		}
		if c.SlowRequest != tt.slow || c.MetricsPublic != tt.public {
			t.Errorf("%v: slow %v, public %v", tt.env, c.SlowRequest, c.MetricsPublic)
		}
	}
}
