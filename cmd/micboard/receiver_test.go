package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"micboard/app/db"
	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/store"
)

func TestReceiverAddRegistersFromTheDevice(t *testing.T) {
	url := dbtest.NewURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url}
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "ad4q", Seed: 3, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Stop()
	ep := rx.Endpoint()

	code, stdout, stderr := runCmd(t, env, "receiver", "add", ep.Addr(), "--vendor", "shure")
	if code != 0 {
		t.Fatalf("receiver add: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "AD4Q-A") || !strings.Contains(stdout, "with 4 channels") || !strings.Contains(stdout, rx.State().Channels[0].Name) {
		t.Fatalf("output lacks the device's own answers:\n%s", stdout)
	}
	// Twice is still one receiver.
	if code, _, stderr := runCmd(t, env, "receiver", "add", ep.Addr(), "--vendor", "shure"); code != 0 {
		t.Fatalf("second add: %s", stderr)
	}
	if n := countReceivers(t, url); n != 1 {
		t.Fatalf("receivers = %d, want 1", n)
	}
}

func TestReceiverAddFailuresStoreNothing(t *testing.T) {
	url := dbtest.NewURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"receiver", "add", "127.0.0.1:1", "--vendor", "shure"}, "127.0.0.1:1"},
		{[]string{"receiver", "add", "127.0.0.1:2202"}, "--vendor"},
		{[]string{"receiver", "add", "--vendor", "shure"}, "HOST[:PORT]"},
		{[]string{"receiver", "add", "bad host", "--vendor", "shure"}, "not a host name"},
		{[]string{"receiver", "add", "127.0.0.1:2202", "--vendor", "shure", "--location", "Nowhere"}, "Nowhere"},
		{[]string{"receiver", "remove"}, "unknown subcommand"},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(t, env, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want one line naming %q", c.args, code, stderr, c.want)
		}
	}
	if n := countReceivers(t, url); n != 0 {
		t.Fatalf("failed adds stored %d receivers", n)
	}
}

func countReceivers(t *testing.T, url string) int {
	t.Helper()
	bdb, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	n, err := store.New(bdb).Receivers.Query().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestServeDemoShowsLiveDevices(t *testing.T) {
	url := dbtest.NewURL(t)
	addr := freePort(t)
	cmd := command(t, map[string]string{"MICBOARD_DATABASE_URL": url, "MICBOARD_LISTEN": addr}, "serve", "--demo", "--demo-port", "0")
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = io.Discard, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	waitFor(t, "http://"+addr+"/readyz", http.StatusOK, exited, &logs)

	bdb, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	st := store.New(bdb)
	deadline := time.Now().Add(15 * time.Second)
	for {
		online, _ := st.Receivers.Query().Online().Count(context.Background())
		var heard int
		bdb.NewSelect().Table("transmitters").Where("rf_level_dbm IS NOT NULL").ColumnExpr("count(*)").Scan(context.Background(), &heard)
		if online == len(demoModels) && heard >= 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo: %d of %d receivers online, %d transmitters with RF\n%s", online, len(demoModels), heard, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	chans, _ := st.Channels.All(context.Background())
	asg, _ := st.Assignments.Query().Active().List(context.Background())
	if len(chans) < len(demoModels) || len(asg) < 8 {
		t.Fatalf("demo has %d channels and %d assignments", len(chans), len(asg))
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve --demo did not stop")
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("errors in the log:\n%s", logs.String())
	}
}
