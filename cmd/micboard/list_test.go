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

// TestReceiverAndChannelList: receiver list shows a registered receiver
// with its id and channel count; channel list gives every channel's id,
// the ids micboard group set takes.
func TestReceiverAndChannelList(t *testing.T) {
	url := dbtest.NewURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url}
	if code, stdout, _ := runCmd(t, env, "receiver", "list"); code != 0 || !strings.Contains(stdout, "no receivers") {
		t.Fatalf("empty receiver list: exit %d: %s", code, stdout)
	}
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "ulxd4q", Seed: 5, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Stop()
	ep := rx.Endpoint()
	if code, _, stderr := runCmd(t, env, "receiver", "add", ep.Addr(), "--vendor", "shure"); code != 0 {
		t.Fatalf("receiver add: exit %d: %s", code, stderr)
	}

	code, stdout, stderr := runCmd(t, env, "receiver", "list")
	if code != 0 {
		t.Fatalf("receiver list: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], ep.Addr()) || !regexp.MustCompile(`\s4$`).MatchString(lines[1]) {
		t.Errorf("receiver list:\n%s", stdout)
	}

	code, stdout, stderr = runCmd(t, env, "channel", "list")
	if code != 0 {
		t.Fatalf("channel list: exit %d: %s", code, stderr)
	}
	lines = strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 5 {
		t.Fatalf("channel list has %d lines, want a header and 4 channels:\n%s", len(lines), stdout)
	}
	for i, c := range rx.State().Channels {
		slot := strings.Fields(c.Name)[0]
		if !regexp.MustCompile(`^\d+\s`).MatchString(lines[i+1]) || !strings.Contains(lines[i+1], slot) {
			t.Errorf("channel %d: line %q lacks an id or the slot %q", c.Channel, lines[i+1], slot)
		}
	}
	// The ids are the ones group set takes.
	id := strings.Fields(lines[1])[0]
	if code, _, stderr := runCmd(t, env, "group", "set", "1", "Vox", "#"+id); code != 0 {
		t.Errorf("group set 1 Vox %s: exit %d: %s", id, code, stderr)
	}
	if code, _, stderr := runCmd(t, env, "channel", "list", "--receiver", "999"); code == 0 || !strings.Contains(stderr, "no receiver 999") {
		t.Errorf("channel list --receiver 999: exit %d: %s", code, stderr)
	}
}

// TestEveryHelpExitsZero: --help (and -h) of every command and subcommand
// prints its usage on stdout and exits 0, without a database.
func TestEveryHelpExitsZero(t *testing.T) {
	env := map[string]string{"MICBOARD_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"}
	commands := [][]string{
		{}, {"serve"}, {"migrate"}, {"receiver"}, {"receiver", "add"}, {"receiver", "list"},
		{"channel"}, {"channel", "list"}, {"location"}, {"location", "add"}, {"location", "list"},
		{"kiosk"}, {"kiosk", "add"}, {"kiosk", "list"}, {"kiosk", "revoke"},
		{"group"}, {"group", "set"}, {"group", "list"}, {"group", "remove"},
		{"discover"}, {"discover", "add"}, {"discover", "run"}, {"discover", "list"}, {"discover", "approve"}, {"discover", "reject"},
		{"user"}, {"user", "add"}, {"user", "passwd"}, {"user", "list"}, {"user", "disable"}, {"user", "enable"}, {"user", "alerts"},
		{"performer"}, {"performer", "link"},
		{"webhook"}, {"webhook", "add"}, {"webhook", "list"}, {"webhook", "remove"},
		{"token"}, {"token", "add"}, {"token", "list"}, {"token", "revoke"},
		{"version"}, {"help"},
	}
	for _, cmd := range commands {
		for _, flag := range []string{"--help", "-h"} {
			args := append(append([]string(nil), cmd...), flag)
			code, stdout, stderr := runCmd(t, env, args...)
			if code != 0 || strings.TrimSpace(stdout) == "" {
				t.Errorf("micboard %s: exit %d, stdout %d bytes, stderr %q", strings.Join(args, " "), code, len(stdout), strings.TrimSpace(stderr))
			}
		}
	}
}
