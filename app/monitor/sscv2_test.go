package monitor_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"micboard/app/db/dbtest"
	"micboard/app/device"
	"micboard/app/device/sim"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/secret"
	"micboard/app/store"
)

func testKey(t *testing.T) *secret.Key {
	t.Helper()
	raw := make([]byte, secret.KeySize)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	k, err := secret.NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// An EW-DX on firmware 4 (SSCv2) is added with its password, which is
// stored sealed with the certificate it showed, and watched through the
// real monitor: its tiles go online with names and battery, and follow the
// device. A wrong password registers nothing; no log line ever holds the
// password.
func TestSSCv2ReceiverRegisteredWithPasswordAndWatched(t *testing.T) {
	const password = "Api-Pass-4711"
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Identify logs through the default logger: capture it too.
	prev := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(prev) })

	ctx := context.Background()
	key := testKey(t)
	r := &rig{st: store.New(dbtest.New(t)), board: live.NewBoard(live.Options{}), rxs: map[string]*sim.Receiver{}, ids: map[string]int64{}}
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "ewdx4v2", Seed: 7, Password: password, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Stop() })
	ep := rx.Endpoint()
	if ep.Protocol != "https" {
		t.Fatalf("endpoint protocol %q", ep.Protocol)
	}

	register := func(pw string, k *secret.Key) (*model.Receiver, error) {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return monitor.RegisterWith(rctx, r.st, ep.Vendor, ep.Host, ep.Port, monitor.RegisterOptions{Password: pw, Key: k})
	}
	countReceivers := func() int {
		n, err := r.st.Receivers.Query().Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Wrong password: a clear error, nothing stored.
	_, err = register("not-the-password", key)
	if !errors.Is(err, device.ErrUnauthorized) || !strings.Contains(err.Error(), "refused user \"api\"") {
		t.Fatalf("wrong password: %v", err)
	}
	if n := countReceivers(); n != 0 {
		t.Fatalf("wrong password registered %d receivers", n)
	}
	// No key: refused before anything is stored.
	if _, err := register(password, nil); !errors.Is(err, secret.ErrNoKey) || !strings.Contains(err.Error(), "MICBOARD_SECRET_KEY") {
		t.Fatalf("no key: %v", err)
	}
	if n := countReceivers(); n != 0 {
		t.Fatalf("password without key registered %d receivers", n)
	}

	reg, err := register(password, key)
	if err != nil {
		t.Fatal(err)
	}
	if reg.DeviceType != model.TypeEWDX || len(reg.Channels) != 4 {
		t.Fatalf("registered as %s with %d channels", reg.DeviceType, len(reg.Channels))
	}
	cred, err := r.st.Receivers.Credential(ctx, reg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(cred.PasswordSealed, []byte(password)) {
		t.Fatal("the stored password is in clear")
	}
	if cred.Username != "api" || cred.TLSFingerprint != rx.CertificateFingerprint() {
		t.Fatalf("stored user %q, pin %q; device certificate %q", cred.Username, cred.TLSFingerprint, rx.CertificateFingerprint())
	}
	if pw, err := key.Open(cred.PasswordSealed, model.PasswordAD(reg.ID)); err != nil || string(pw) != password {
		t.Fatalf("stored password does not open: %v", err)
	}
	r.rxs["ewdx4v2"], r.ids["ewdx4v2"] = rx, reg.ID

	if err := r.board.Load(ctx, r.st); err != nil {
		t.Fatal(err)
	}
	r.mgr = monitor.New(r.st, r.board, monitor.Options{
		MeterRate: meterRate, PollEvery: 200 * time.Millisecond, HeartbeatEvery: time.Second,
		BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second, Logger: logger, SecretKey: key,
	})
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.mgr.Run(mctx); close(done) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)

	eventually(t, 15*time.Second, "SSCv2 tiles online with names and battery", func() error { return r.matches("ewdx4v2") })
	if err := rx.SetBatteryPercent(2, 9); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "battery change on the board", func() error {
		id, _ := r.board.ChannelID(reg.ID, 2)
		tile, _ := r.board.Tile(id)
		if tile.Battery.Percent == nil || *tile.Battery.Percent != 9 {
			return fmt.Errorf("battery %+v", tile.Battery)
		}
		return nil
	})
	// A rename from Micboard reaches the device over REST.
	if err := r.mgr.SetChannelName(ctx, reg.ID, 1, "LEAD"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "renamed on the device", func() error {
		if n := rx.State().Channels[0].Name; n != "LEAD" {
			return fmt.Errorf("device name %q", n)
		}
		return nil
	})
	stop()

	if strings.Contains(logs.String(), password) {
		t.Fatalf("the password appears in a log line:\n%s", logs.String())
	}
}

// A monitor without the key (or with another one) does not connect to a
// receiver whose password it cannot open, and says why, without the
// password.
func TestSSCv2WithoutKeyIsOfflineWithReason(t *testing.T) {
	ctx := context.Background()
	key := testKey(t)
	st := store.New(dbtest.New(t))
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "ewdx2v2", Seed: 3, Password: "pw-xyz", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Stop() })
	ep := rx.Endpoint()
	reg, err := monitor.RegisterWith(ctx, st, ep.Vendor, ep.Host, ep.Port, monitor.RegisterOptions{Password: "pw-xyz", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*secret.Key{nil, testKey(t)} {
		logs := &syncBuffer{}
		board := live.NewBoard(live.Options{})
		if err := board.Load(ctx, st); err != nil {
			t.Fatal(err)
		}
		mgr := monitor.New(st, board, monitor.Options{PollEvery: 100 * time.Millisecond, BackoffMin: 50 * time.Millisecond,
			BackoffMax: 200 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil)), SecretKey: k})
		mctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { mgr.Run(mctx); close(done) }()
		eventually(t, 5*time.Second, "the reason logged", func() error {
			if !strings.Contains(logs.String(), "MICBOARD_SECRET_KEY") {
				return errors.New("not yet")
			}
			return nil
		})
		cancel()
		<-done
		if id, _ := board.ChannelID(reg.ID, 1); true {
			if tile, _ := board.Tile(id); tile.Online {
				t.Fatalf("key %v: receiver shown online without its password", k)
			}
		}
		if rx.Clients() != 0 || strings.Contains(logs.String(), "pw-xyz") {
			t.Fatalf("key %v: connected anyway, or the password was logged:\n%s", k, logs.String())
		}
	}
}

// A receiver that shows another certificate than the one pinned when it
// was added is not connected to (its password is not sent), and the log
// says so with both fingerprints.
func TestSSCv2ChangedCertificateIsRefused(t *testing.T) {
	ctx := context.Background()
	key := testKey(t)
	st := store.New(dbtest.New(t))
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "ewdx2v2", Seed: 4, Password: "pw-cert", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Stop() })
	ep := rx.Endpoint()
	reg, err := monitor.RegisterWith(ctx, st, ep.Vendor, ep.Host, ep.Port, monitor.RegisterOptions{Password: "pw-cert", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	pinned := rx.CertificateFingerprint()
	if err := rx.RenewCertificate(); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	board := live.NewBoard(live.Options{})
	if err := board.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	mgr := monitor.New(st, board, monitor.Options{PollEvery: 100 * time.Millisecond, BackoffMin: 50 * time.Millisecond,
		BackoffMax: 200 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil)), SecretKey: key})
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { mgr.Run(mctx); close(done) }()
	defer func() { cancel(); <-done }()
	eventually(t, 5*time.Second, "the refusal logged", func() error {
		l := logs.String()
		if !strings.Contains(l, "certificate changed") || !strings.Contains(l, pinned) || !strings.Contains(l, rx.CertificateFingerprint()) {
			return errors.New("not yet")
		}
		return nil
	})
	id, _ := board.ChannelID(reg.ID, 1)
	if tile, _ := board.Tile(id); tile.Online {
		t.Fatal("receiver with a changed certificate shown online")
	}
	if rx.Clients() != 0 {
		t.Fatal("the monitor subscribed to a receiver with a changed certificate")
	}
}
