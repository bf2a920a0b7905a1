package main

import (
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
)

func TestDiscoverFindsThenApproves(t *testing.T) {
	env := map[string]string{"MICBOARD_DATABASE_URL": dbtest.NewURL(t)}
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "ewdx2", Seed: 5, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Stop()

	code, out, stderr := runCmd(t, env, "discover", "add", "Wings", "--kind", "manual", "--target", rx.Endpoint().Addr(), "--vendor", "sennheiser")
	if code != 0 || !strings.Contains(out, "discovery task 1") {
		t.Fatalf("add: %d %s %s", code, out, stderr)
	}
	code, out, stderr = runCmd(t, env, "discover", "run", "1")
	if code != 0 || !strings.Contains(out, "success, scanned 1, found 1") || !strings.Contains(out, "EW-DX EM 2") || !strings.Contains(out, " new") {
		t.Fatalf("run: %d\n%s\n%s", code, out, stderr)
	}
	id := regexp.MustCompile(`(?m)^(\d+)\s+127\.0\.0\.1:`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no found device listed:\n%s", out)
	}
	code, out, stderr = runCmd(t, env, "discover", "approve", id[1])
	if code != 0 || !strings.Contains(out, "with 2 channels") {
		t.Fatalf("approve: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := runCmd(t, env, "discover", "approve", id[1]); code == 0 || !strings.Contains(stderr, "approved") {
		t.Fatalf("approve twice: %d %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, env, "discover", "add", "Too big", "--kind", "cidr", "--target", "10.0.0.0/16"); code == 0 || !strings.Contains(stderr, "/22") {
		t.Fatalf("big range: %d %s", code, stderr)
	}
}
