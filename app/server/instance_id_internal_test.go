package server

import (
	"strings"
	"testing"

	"micboard/app/config"
)

func TestInstanceIDIsStableAcrossRestartsOfOneListener(t *testing.T) {
	if got := instanceID(config.Config{InstanceID: "stage-a"}, "h1", "[::]:8058"); got != "stage-a" {
		t.Errorf("configured id = %q", got)
	}
	if got := instanceID(config.Config{}, "h1", "[::]:8058"); got != "h1:8058" {
		t.Errorf("id on :8058 = %q, want h1:8058", got)
	}
	if a, b := instanceID(config.Config{}, "h1", "127.0.0.1:9000"), instanceID(config.Config{}, "h1", "127.0.0.1:9001"); a == b {
		t.Errorf("two ports on one host share id %q", a)
	}
	// Not listening yet: a random name, so two such instances never clash.
	a, b := instanceID(config.Config{}, "h1", ""), instanceID(config.Config{}, "h1", "")
	if a == b || !strings.HasPrefix(a, "h1-") {
		t.Errorf("ids on random ports = %q, %q; want distinct, named after the host", a, b)
	}
}
