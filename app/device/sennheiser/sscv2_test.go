package sennheiser

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"micboard/app/device"
	"micboard/app/device/sim"
)

// The samples below are the EW-DX service API's own examples and schemas
// (OpenAPI "EW-DX service API" 1.7, api_docs.json in
// bitfocus/companion-module-sennheiser-ewdx): the open event of GET
// /api/ssc/state/subscriptions, and resource bodies in the documented
// shapes, wrapped as the stream carries them ({"/path": value}, per
// src/ewdxReceiverSCPv2.ts parseMessage).
const docOpenEvent = "event:open\ndata:{\"path\":\"/api/ssc/state/subscriptions/31875a94-29e6-4fb0-ab4d-7f0bbd6e1bc8\",\"sessionUUID\":\"31875a94-29e6-4fb0-ab4d-7f0bbd6e1bc8\"}\n\n"

func TestSSEReaderDocumentedOpenEvent(t *testing.T) {
	// The same event as Companion reads it: "data: " with a space, CRLF ends.
	companion := strings.ReplaceAll(strings.ReplaceAll(docOpenEvent, "data:", "data: "), "\n", "\r\n")
	for _, stream := range []string{docOpenEvent, companion, ": keep-alive\n\n" + docOpenEvent} {
		sse := NewSSEReader(strings.NewReader(stream))
		ev, err := sse.Next()
		if err != nil {
			t.Fatalf("%q: %v", stream, err)
		}
		if ev.Name != "open" {
			t.Fatalf("event name %q, want open", ev.Name)
		}
		id, err := ParseOpenEvent(ev.Data)
		if err != nil || id != "31875a94-29e6-4fb0-ab4d-7f0bbd6e1bc8" {
			t.Fatalf("session %q, %v", id, err)
		}
		if _, err := sse.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("after the last event: %v, want EOF", err)
		}
	}
}

func TestParseOpenEventRefusesUnsafeIDs(t *testing.T) {
	for _, data := range []string{
		`{"sessionUUID":"../../device/site"}`, `{"sessionUUID":""}`, `{}`, `[]`, `{"sessionUUID":"abc?x=1"}`,
	} {
		if id, err := ParseOpenEvent([]byte(data)); err == nil {
			t.Fatalf("%s: accepted %q", data, id)
		}
	}
	// Only the path given: the UUID is its last segment.
	if id, err := ParseOpenEvent([]byte(`{"path":"/api/ssc/state/subscriptions/0a-1b"}`)); err != nil || id != "0a-1b" {
		t.Fatalf("path only: %q, %v", id, err)
	}
}

func TestApplyV2DocumentedResources(t *testing.T) {
	events := []string{
		// /api/device/identity: product enum EWDX2CHS|EWDX2CHDS|EWDX4CHDS, serial example.
		`{"/api/device/identity":{"product":"EWDX4CHDS","hardwareRevision":"0596715-06","serial":"1023456789","vendor":"Sennheiser electronic SE & Co. KG"}}`,
		// /api/device/site: deviceName default "EWDXEM2".
		`{"/api/device/site":{"deviceName":"EWDXEM2","location":"Building 5, Room 15","position":""}}`,
		`{"/api/firmware/update/state":{"deviceVersion":"4.0.1","danteVersion":"4.2.1","state":"Idle","progress":0,"lastStatus":"None"}}`,
		// 0-based channel 1 is Micboard's channel 2.
		`{"/api/channel/1":{"name":"HH02 AMY","mute":false,"mates":["TX2"],"gain":9,"audio":["Out2"],"outputLevel":0}}`,
		`{"/api/rf/channels/1":{"frequency":470200,"presets":{"type":"None"}}}`,
		`{"/api/transmitters/1/battery":{"type":"Battery","lifetime":312,"gauge":70}}`,
		`{"/api/transmitters/1":{"type":"EW_DX_SKM","capsule":"MMD_935","name":"HH02 AMY","mute":false}}`,
		`{"/api/channel/1/warnings":["LowSignal","AfPeak"],"/api/transmitters/1/warnings":["LowBattery"]}`,
		`{"/api/channel/1/signalStrengthIndicator":{"value":-62.5},"/api/channel/1/signalQualityIndicator":{"value":88},"/api/channel/1/diversityIndicator":{"value":2},"/api/channel/1/level":{"value":-138.5}}`,
		// The API document's subscription examples leave /api off.
		`{"/channel/0":{"name":"BP01"}}`,
	}
	var r device.Reading
	for _, e := range events {
		leaves, err := DecodeV2([]byte(e))
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		var u device.Reading
		if !ApplyV2(&u, leaves) {
			t.Fatalf("%s changed nothing", e)
		}
		r.Merge(u)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("model", r.Model.V, "EWDX4CHDS")
	check("channels", r.ChannelCount.V, 4)
	check("serial", r.Serial.V, "1023456789")
	check("name", r.Name.V, "EWDXEM2")
	check("firmware", r.Firmware.V, "4.0.1")
	check("family", r.Family.V, "ewdx")
	c := r.Channels[2]
	if c == nil {
		t.Fatalf("no channel 2 in %v", r.ChannelNumbers())
	}
	check("ch2 name", c.Name.V, "HH02 AMY")
	check("ch2 gain", c.Gain.V, 9.0)
	check("ch2 freq", c.FrequencyKHz.V, 470200)
	check("ch2 battery", c.BatteryPercent.String(), "70")
	check("ch2 minutes", c.BatteryMinutes.String(), "312")
	check("ch2 battery type", c.BatteryType.V, "Battery")
	check("ch2 tx", c.TxModel.V, "EW_DX_SKM")
	check("ch2 peak", c.AudioPeak.V, true)
	check("ch2 low signal", c.LowSignal.V, true)
	check("ch2 rf", len(c.RFLevelDBm) == 1 && c.RFLevelDBm[0] == -62.5, true)
	check("ch2 quality", c.Quality.String(), "88")
	check("ch2 diversity", c.Diversity.V, "XB")
	check("ch2 audio", c.AudioLevelDBFS.V, -138.5)
	check("ch2 tx warnings", strings.Join(c.TxWarnings.V, ","), "LowBattery")
	check("ch1 name", r.Channels[1].Name.V, "BP01")
}

func TestApplyV2TransmitterAbsent(t *testing.T) {
	// REST answers 422 without a transmitter; the stream carries null.
	for _, e := range []string{`{"/api/transmitters/0/battery":null}`, `{"/api/transmitters/0":null}`, `{"/api/transmitters/0/battery":{"type":"NoBattery"}}`} {
		leaves, err := DecodeV2([]byte(e))
		if err != nil {
			t.Fatal(err)
		}
		var r device.Reading
		ApplyV2(&r, leaves)
		c := r.Channels[1]
		if c == nil || !c.BatteryPercent.Set || !c.BatteryPercent.Unknown {
			t.Fatalf("%s: battery %v, want unknown", e, c)
		}
	}
	// Wrong shapes and out-of-range indices change nothing.
	for _, e := range []string{`{"/api/channel/99":{"name":"X"}}`, `{"/api/channel/x":{"name":"X"}}`, `{"/api/channel/0":"Vox"}`, `{"/api/transmitters/0/battery":{"gauge":"full"}}`} {
		leaves, _ := DecodeV2([]byte(e))
		var r device.Reading
		if ApplyV2(&r, leaves) {
			t.Fatalf("%s changed the reading: %+v", e, r.Channels)
		}
	}
}

// logBuffer captures every log line, at debug level, for the password check.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startV2Sim(t *testing.T, password string) *sim.Receiver {
	t.Helper()
	rx, err := sim.StartReceiver(sim.ReceiverConfig{Model: "ewdx4v2", Seed: 7, Password: password,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Stop() })
	return rx
}

func TestSSCv2ClientAgainstSimulator(t *testing.T) {
	const password = "Corr3ct-Horse!"
	rx := startV2Sim(t, password)
	logs := &logBuffer{}
	var seen []string
	var seenMu sync.Mutex
	c, err := NewV2(device.Config{Host: "127.0.0.1", Port: rx.Port(), Password: device.Secret(password),
		PingInterval: 200 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnCertificate: func(fp string) {
			seenMu.Lock()
			seen = append(seen, fp)
			seenMu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Dial(ctx); err != nil {
		t.Fatal(err)
	}
	want := rx.State()
	var (
		mu    sync.Mutex
		state device.Reading
	)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- c.Run(runCtx, func(r device.Reading) {
			mu.Lock()
			state.Merge(r)
			mu.Unlock()
		})
	}()
	waitFor := func(what string, ok func(*device.Reading) bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			good := ok(&state)
			mu.Unlock()
			if good {
				return
			}
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("timed out waiting for %s; have %+v", what, state)
	}
	waitFor("the whole picture", func(r *device.Reading) bool {
		if !device.Complete(r) || r.ChannelCount.V != 4 || r.Model.V != "EWDX4CHDS" {
			return false
		}
		for _, ch := range want.Channels {
			c := r.Channels[ch.Channel]
			if c.Name.V != ch.Name || c.FrequencyKHz.V != ch.FrequencyKHz {
				return false
			}
			if ch.TxOn && c.BatteryPercent.V != ch.BatteryPercent {
				return false
			}
		}
		return true
	})
	// Meters arrive over the stream.
	waitFor("meters", func(r *device.Reading) bool { return r.Channels[1] != nil && len(r.Channels[1].RFLevelDBm) > 0 })

	// A change on the device arrives as an event.
	if err := rx.SetBatteryPercent(1, 12); err != nil {
		t.Fatal(err)
	}
	rx.SetTxOff(2, false)
	waitFor("battery change", func(r *device.Reading) bool { return r.Channels[1].BatteryPercent.V == 12 })

	// A rename is upper-cased, written over REST and confirmed by an event.
	if err := c.SetChannelName(ctx, 3, "lead vx"); err != nil {
		t.Fatal(err)
	}
	waitFor("renamed channel", func(r *device.Reading) bool { return r.Channels[3].Name.V == "LEAD VX" })
	if got := rx.State().Channels[2].Name; got != "LEAD VX" {
		t.Fatalf("device holds %q", got)
	}
	if err := c.SetChannelName(ctx, 3, "much too long"); !errors.Is(err, device.ErrNameTooLong) {
		t.Fatalf("long name: %v", err)
	}
	if err := c.SetChannelName(ctx, 3, "a_b"); !errors.Is(err, device.ErrInvalidName) {
		t.Fatalf("bad character: %v", err)
	}

	seenMu.Lock()
	if len(seen) == 0 || seen[0] != rx.CertificateFingerprint() {
		t.Fatalf("reported certificate %v, device's is %s", seen, rx.CertificateFingerprint())
	}
	seenMu.Unlock()

	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	c.Close()
	for deadline := time.Now().Add(2 * time.Second); rx.Clients() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := rx.Clients(); n != 0 {
		t.Fatalf("%d subscriptions left on the receiver after Close", n)
	}
	if strings.Contains(logs.String(), password) {
		t.Fatalf("the password appears in the driver's logs:\n%s", logs.String())
	}
}

func TestSSCv2WrongPassword(t *testing.T) {
	rx := startV2Sim(t, "right-one")
	logs := &logBuffer{}
	for _, pw := range []string{"wrong-one", ""} {
		c, err := NewV2(device.Config{Host: "127.0.0.1", Port: rx.Port(), Password: device.Secret(pw),
			Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Dial(context.Background())
		c.Close()
		if !errors.Is(err, device.ErrUnauthorized) {
			t.Fatalf("password %q: Dial = %v, want ErrUnauthorized", pw, err)
		}
		if pw != "" && (!strings.Contains(err.Error(), "refused user \"api\"") || strings.Contains(err.Error(), pw)) {
			t.Fatalf("unclear error or password in it: %v", err)
		}
	}
	if strings.Contains(logs.String(), "wrong-one") {
		t.Fatalf("password logged:\n%s", logs.String())
	}
}

func TestSSCv2RefusesChangedCertificate(t *testing.T) {
	rx := startV2Sim(t, "pw")
	pin := rx.CertificateFingerprint()
	dial := func() error {
		c, err := NewV2(device.Config{Host: "127.0.0.1", Port: rx.Port(), Password: "pw", TLSFingerprint: strings.ToUpper(pin),
			DisableMeters: true, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.Dial(context.Background())
	}
	if err := dial(); err != nil {
		t.Fatalf("pinned certificate refused: %v", err)
	}
	if err := rx.RenewCertificate(); err != nil {
		t.Fatal(err)
	}
	err := dial()
	if !errors.Is(err, device.ErrCertificateChanged) {
		t.Fatalf("changed certificate: Dial = %v, want ErrCertificateChanged", err)
	}
	if !strings.Contains(err.Error(), rx.CertificateFingerprint()) {
		t.Fatalf("error does not name the new fingerprint: %v", err)
	}
}

func TestRegistryPicksSSCv2(t *testing.T) {
	d, err := device.New(device.VendorSennheiser, device.Config{Host: "127.0.0.1", Port: 8443, Password: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.(*V2Client); !ok {
		t.Fatalf("a password gave %T, want *V2Client", d)
	}
	d, _ = device.New(device.VendorSennheiser, device.Config{Host: "127.0.0.1"})
	if _, ok := d.(*Client); !ok {
		t.Fatalf("no password gave %T, want the SSC v1 *Client", d)
	}
}
