package server_test

import (
	"fmt"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/server"
)

// The monitor's service calls are timed like the web's: receivers coming
// online and their registrations show in the same collector that
// /admin/performance and /metrics read.
func TestMonitorServiceCallsAreTimed(t *testing.T) {
	in := startInstance(t, dbtest.New(t), map[string]string{"MICBOARD_METER_RATE": "1s"}, 2, server.Options{})
	want := []string{"Devices.SyncStatus", "Devices.UpsertFromReport"}
	waitFor(t, 10*time.Second, "monitor calls timed", func() error {
		seen := map[string]uint64{}
		for _, m := range in.srv.Web.Metrics().Stats() {
			seen[m.Method] = m.Total
		}
		for _, w := range want {
			if seen[w] == 0 {
				return fmt.Errorf("no %s among %v", w, seen)
			}
		}
		return nil
	})
}
