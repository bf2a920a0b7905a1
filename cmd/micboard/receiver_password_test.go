package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"micboard/app/db"
	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/store"
)

// `micboard receiver add --password-stdin` takes an SSCv2 receiver's
// password from standard input, stores it only encrypted, and never prints
// it; without MICBOARD_SECRET_KEY, or with a wrong password, nothing is
// stored.
func TestReceiverAddPasswordStdin(t *testing.T) {
	const password = "Stdin-Secret-99"
	const key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	url := dbtest.NewURL(t)
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "ewdx2v2", Seed: 5, Password: password,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Stop()
	ep := rx.Endpoint()
	add := func(env map[string]string, stdin string) (int, string, string) {
		t.Helper()
		cmd := command(t, env, "receiver", "add", ep.Addr(), "--vendor", "sennheiser", "--password-stdin")
		cmd.Stdin = strings.NewReader(stdin)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		code := 0
		if err != nil {
			code = 1
		}
		if strings.Contains(o.String()+e.String(), password) || strings.Contains(o.String()+e.String(), "wrong-pass") {
			t.Fatalf("the password was printed:\n%s%s", o.String(), e.String())
		}
		return code, o.String(), e.String()
	}

	noKey := map[string]string{"MICBOARD_DATABASE_URL": url}
	if code, _, stderr := add(noKey, password+"\n"); code == 0 || !strings.Contains(stderr, "MICBOARD_SECRET_KEY") {
		t.Fatalf("without a key: exit %d, %q", code, stderr)
	}
	withKey := map[string]string{"MICBOARD_DATABASE_URL": url, "MICBOARD_SECRET_KEY": key}
	if code, _, stderr := add(withKey, "wrong-pass\n"); code == 0 || !strings.Contains(stderr, "refused user \"api\"") {
		t.Fatalf("wrong password: exit %d, %q", code, stderr)
	}
	if code, _, stderr := add(withKey, ""); code == 0 || !strings.Contains(stderr, "no password") {
		t.Fatalf("empty stdin: exit %d, %q", code, stderr)
	}
	if n := countReceivers(t, url); n != 0 {
		t.Fatalf("failed adds stored %d receivers", n)
	}
	code, stdout, stderr := add(withKey, password+"\r\n")
	if code != 0 {
		t.Fatalf("receiver add: %s", stderr)
	}
	if !strings.Contains(stdout, "with 2 channels") || !strings.Contains(stdout, "password stored encrypted") {
		t.Fatalf("output:\n%s", stdout)
	}
	bdb, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var raw []byte
	if err := bdb.NewSelect().Table("receiver_credentials").Column("password_sealed").Limit(1).Scan(context.Background(), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 || bytes.Contains(raw, []byte(password)) {
		t.Fatalf("stored password %q is missing or in clear", raw)
	}
	if n, _ := store.New(bdb).Receivers.Query().Count(context.Background()); n != 1 {
		t.Fatalf("receivers = %d, want 1", n)
	}
	// Shure receivers take no password.
	cmd := command(t, withKey, "receiver", "add", "127.0.0.1:2202", "--vendor", "shure", "--password-stdin")
	cmd.Stdin = strings.NewReader("x\n")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "only Sennheiser") {
		t.Fatalf("shure with a password: %v %s", err, out)
	}
}
