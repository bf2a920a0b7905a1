package alert_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"micboard/app/alert"
	"micboard/app/db/dbtest"
	"micboard/app/device/sim"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/monitor"
	"micboard/app/store"
)

// received is one event as a sink saw it.
type received struct {
	Event string
	Kind  string
	ID    int64
	At    time.Time // when it arrived
}

type recorder struct {
	mu  sync.Mutex
	got []received
}

func (r *recorder) add(ev received) {
	r.mu.Lock()
	r.got = append(r.got, ev)
	r.mu.Unlock()
}

func (r *recorder) list() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// summary lists "kind event" in order of arrival.
func (r *recorder) summary() []string {
	var out []string
	for _, e := range r.list() {
		out = append(out, e.Kind+" "+e.Event)
	}
	return out
}

// smtpSink is a tiny SMTP server: it accepts every message and keeps it.
type smtpSink struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
}

func startSMTP(t *testing.T) *smtpSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(line string) { fmt.Fprintf(c, "%s\r\n", line) }
	say("220 sink ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 sink")
		case strings.HasPrefix(cmd, "DATA"):
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.mu.Unlock()
			say("250 kept")
		case strings.HasPrefix(cmd, "QUIT"):
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func (s *smtpSink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

// TestAlertsEndToEnd drives simulated receivers through a battery drain, a
// transmitter switched off (twice, within the repeat interval), an RF
// dropout and an offline receiver, and checks that exactly the expected
// alerts open and resolve, each delivered to a signed webhook, an SMTP
// sink and the Mosquitto broker, while a webhook that hangs and one that
// is down delay neither the good one nor the board.
func TestAlertsEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("MICBOARD_TEST_VERBOSE") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	bdb := dbtest.New(t)
	st := store.New(bdb)

	fleet, err := sim.StartFleet(sim.FleetConfig{Receivers: 2, Models: []string{"ewdx4", "ad4d"}, Host: "127.0.0.1", Seed: 7, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fleet.Stop() })
	rxs := fleet.Receivers()
	ew, ad := rxs[0], rxs[1]
	// A quiet show: every pack full, on, with a strong signal.
	for _, r := range rxs {
		for ch := 1; ch <= len(r.State().Channels); ch++ {
			must(t, r.SetTxOff(ch, false))
			must(t, r.SetBatteryPercent(ch, 100))
			must(t, r.SetRF(ch, -50, -50))
		}
	}
	var regs []*model.Receiver
	for _, ep := range fleet.Endpoints() {
		reg, err := monitor.Register(ctx, st, ep.Vendor, ep.Host, ep.Port, nil)
		if err != nil {
			t.Fatal(err)
		}
		if reg, err = st.Receivers.Get(ctx, reg.ID); err != nil {
			t.Fatal(err)
		}
		regs = append(regs, reg)
	}
	chanID := func(rx, n int) int64 {
		for _, c := range regs[rx].Channels {
			if c.Number == n {
				return c.ID
			}
		}
		t.Fatalf("no channel %d on receiver %d", n, rx)
		return 0
	}
	assign := func(name string, channel int64) {
		p := &model.Performer{Name: name, Active: true}
		must(t, st.Performers.Create(ctx, p))
		a := &model.Assignment{PerformerID: p.ID, ChannelID: channel, Priority: model.PriorityNormal, Active: true, AlertFlags: model.DefaultAlerts}
		must(t, st.Assignments.Create(ctx, a))
	}
	assign("Zoe", chanID(0, 1))
	assign("Ayo", chanID(1, 1))

	// The sinks: a webhook that checks its signature, one that hangs, one
	// that is down; an SMTP sink with one subscriber; Mosquitto.
	const secret = "a-webhook-secret-of-some-length"
	hooks := &recorder{}
	var badSig int
	var sigMu sync.Mutex
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !alert.Verify(secret, body, r.Header.Get(alert.SignatureHeader)) {
			sigMu.Lock()
			badSig++
			sigMu.Unlock()
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p alert.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		hooks.add(received{Event: string(p.Event), Kind: string(p.Kind), ID: p.ID, At: time.Now()})
	}))
	defer good.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	downLn, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + downLn.Addr().String() + "/hook"
	downLn.Close()
	for _, u := range []string{slow.URL, down, good.URL + "/hook"} {
		must(t, st.Webhooks.Create(ctx, &model.Webhook{URL: u, Secret: secret, Active: true}))
	}
	smtp := startSMTP(t)
	u := &model.User{Username: "a2", PasswordHash: "x", Role: model.RoleOperator, Active: true}
	must(t, st.Users.Create(ctx, u))
	must(t, st.AlertSubscriptions.Set(ctx, &model.AlertSubscription{UserID: u.ID, Email: "a2@example.org", Enabled: true}))

	prefix := fmt.Sprintf("micboard-test-%d", time.Now().UnixNano())
	mq := &recorder{}
	states := map[string]string{}
	var statesMu sync.Mutex
	opts := paho.NewClientOptions().AddBroker("tcp://127.0.0.1:1883").SetClientID(prefix + "-watcher")
	watcher := paho.NewClient(opts)
	if tok := watcher.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect to Mosquitto on 127.0.0.1:1883: %v", tok.Error())
	}
	defer watcher.Disconnect(100)
	tok := watcher.Subscribe(prefix+"/#", 1, func(_ paho.Client, m paho.Message) {
		switch {
		case m.Topic() == prefix+"/alerts":
			var p alert.Payload
			if json.Unmarshal(m.Payload(), &p) == nil {
				mq.add(received{Event: string(p.Event), Kind: string(p.Kind), ID: p.ID, At: time.Now()})
			}
		case strings.HasSuffix(m.Topic(), "/state"):
			var s alert.ChannelStateMessage
			if json.Unmarshal(m.Payload(), &s) == nil {
				statesMu.Lock()
				states[m.Topic()] = string(s.Status)
				statesMu.Unlock()
			}
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}

	// The instance: board, monitor, alerting.
	board := live.NewBoard(live.Options{})
	must(t, board.Load(ctx, st))
	mgr := monitor.New(st, board, monitor.Options{
		MeterRate: 250 * time.Millisecond, PollEvery: 200 * time.Millisecond,
		BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second, HeartbeatEvery: time.Second, Logger: log,
	})
	const repeat = 20 * time.Second
	sys, err := alert.NewSystem(alert.SystemOptions{
		Board: board, Store: st, Logger: log,
		Rules:   alert.Config{Repeat: repeat, RFLossAfter: 2 * time.Second},
		SMTPURL: "smtp://" + smtp.ln.Addr().String(), SMTPFrom: "Micboard <micboard@example.org>",
		MQTTURL: "mqtt://127.0.0.1:1883", MQTTPrefix: prefix,
		Dispatch: alert.DispatchOptions{Attempts: 3, RetryBase: 200 * time.Millisecond, Timeout: 2 * time.Second},
	})
	must(t, err)
	var wg sync.WaitGroup
	for _, run := range []func(context.Context){func(ctx context.Context) { mgr.Run(ctx) }, board.Run, sys.Run} {
		wg.Add(1)
		go func() { defer wg.Done(); run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()

	tile := func(id int64) live.Tile { tl, _ := board.Tile(id); return tl }
	waitFor(t, 15*time.Second, "every channel good", func() error {
		for _, tl := range board.Tiles() {
			if tl.Status != model.StatusGood {
				return fmt.Errorf("channel %d %s", tl.ChannelID, tl.Status)
			}
		}
		return nil
	})
	waitFor(t, 5*time.Second, "retained states on the broker", func() error {
		statesMu.Lock()
		defer statesMu.Unlock()
		if len(states) < 6 {
			return fmt.Errorf("%d states", len(states))
		}
		return nil
	})
	if got := hooks.summary(); len(got) != 0 {
		t.Fatalf("alerts on a quiet show: %v", got)
	}
	expect := func(want ...string) {
		t.Helper()
		waitFor(t, 15*time.Second, fmt.Sprintf("webhook events %v", want), func() error {
			if got := hooks.summary(); strings.Join(got, ",") != strings.Join(want, ",") {
				return fmt.Errorf("got %v", got)
			}
			return nil
		})
	}
	var want []string

	// A battery drain on Zoe's pack: low, then critical, then a fresh pack.
	// The alert is the tile's own level: REPLACE is battery_low, CRITICAL
	// battery_critical, even at 18 % with 108 min still to run.
	zoe := chanID(0, 1)
	must(t, ew.SetBatteryPercent(1, 40))
	want = append(want, "battery_low opened")
	expect(want...)
	if s := tile(zoe).Status; s != model.StatusReplace {
		t.Errorf("Zoe's tile is %s with a battery_low alert, want REPLACE", s)
	}
	must(t, ew.SetBatteryPercent(1, 18))
	want = append(want, "battery_low resolved", "battery_critical opened")
	expect(want...)
	if s := tile(zoe).Status; s != model.StatusCritical {
		t.Errorf("Zoe's tile is %s with a battery_critical alert, want CRITICAL", s)
	}
	must(t, ew.SetBatteryPercent(1, 100))
	want = append(want, "battery_critical resolved")
	expect(want...)

	// Ayo's transmitter off, on, and off again within the interval: one alert.
	must(t, ad.SetTxOff(1, true))
	want = append(want, "tx_off opened")
	expect(want...)
	must(t, ad.SetTxOff(1, false))
	want = append(want, "tx_off resolved")
	expect(want...)
	must(t, ad.SetTxOff(1, true))
	time.Sleep(2 * time.Second)
	expect(want...) // not twice within the interval
	must(t, ad.SetTxOff(1, false))

	// An RF dropout on an unassigned channel (the defaults apply).
	must(t, ad.SetRF(2, -120, -120))
	want = append(want, "rf_loss opened")
	expect(want...)
	must(t, ad.SetRF(2, -50, -50))
	want = append(want, "rf_loss resolved")
	expect(want...)

	// The EW-DX stops answering, and comes back.
	ew.Drop(0)
	want = append(want, "rx_offline opened")
	expect(want...)
	must(t, ew.Restore())
	want = append(want, "rx_offline resolved")
	expect(want...)
	time.Sleep(time.Second)
	expect(want...) // and nothing more

	sigMu.Lock()
	if badSig != 0 {
		t.Errorf("%d webhook deliveries with a bad signature", badSig)
	}
	sigMu.Unlock()

	// The slow and the down endpoints delayed nothing: the good webhook got
	// each event within a second of it, though every attempt at the slow
	// one hangs for 2 s.
	stored, err := st.Alerts.Query().List(ctx)
	must(t, err)
	if len(stored) != 5 {
		t.Errorf("%d alerts stored, want 5", len(stored))
	}
	opened := map[int64]time.Time{}
	for _, a := range stored {
		if a.State != model.AlertResolved || a.ResolvedBy != model.ResolvedAuto {
			t.Errorf("alert %d (%s) is %s by %q, want resolved automatically", a.ID, a.Kind, a.State, a.ResolvedBy)
		}
		opened[a.ID] = a.OpenedAt
	}
	for _, ev := range hooks.list() {
		if ev.Event != "opened" {
			continue
		}
		if lag := ev.At.Sub(opened[ev.ID]); lag > time.Second {
			t.Errorf("webhook got alert %d (%s) %s after it opened", ev.ID, ev.Kind, lag)
		}
	}

	// The same events reached Mosquitto and the mail sink.
	waitFor(t, 10*time.Second, "MQTT events", func() error {
		if got := mq.summary(); strings.Join(got, ",") != strings.Join(want, ",") {
			return fmt.Errorf("got %v, want %v", got, want)
		}
		return nil
	})
	waitFor(t, 10*time.Second, "mails", func() error {
		if got := len(smtp.messages()); got != len(want) {
			return fmt.Errorf("%d mails, want %d", got, len(want))
		}
		return nil
	})
	for _, m := range smtp.messages() {
		if !strings.Contains(m, "To: a2@example.org") || !strings.Contains(m, "Subject: =?utf-8?q?[Micboard]") {
			t.Errorf("mail without recipient or subject:\n%s", m)
		}
	}
	statesMu.Lock()
	var topics []string
	for k := range states {
		topics = append(topics, k)
	}
	statesMu.Unlock()
	sort.Strings(topics)
	if len(topics) != 6 {
		t.Errorf("retained state topics %v, want one per channel (6)", topics)
	}

	// Every attempt is recorded: the good hook once per event, the down and
	// the slow one three times each.
	for _, a := range stored {
		ds, err := st.AlertDeliveries.ForAlert(ctx, a.ID)
		must(t, err)
		per := map[string]int{}
		for _, d := range ds {
			per[d.Sink+" "+string(d.Event)+" "+fmt.Sprint(d.OK)]++
		}
		if per["webhook opened true"] != 1 || per["email opened true"] != 1 || per["mqtt opened true"] != 1 {
			t.Errorf("alert %d deliveries: %v", a.ID, per)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() error) {
	t.Helper()
	start := time.Now()
	var last error
	for time.Since(start) < within {
		if last = cond(); last == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, within, last)
}
