package alert

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"micboard/app/live"
	"micboard/app/store"
)

// SystemOptions assemble the alerting of one instance.
type SystemOptions struct {
	Board  *live.Board
	Store  *store.Store
	Logger *slog.Logger
	Rules  Config
	// SMTPURL and SMTPFrom switch mail on; MQTTURL switches MQTT on.
	SMTPURL  string
	SMTPFrom string
	MQTTURL  string
	// MQTTPrefix roots the topics (default "micboard").
	MQTTPrefix string
	Dispatch   DispatchOptions
	// WebhookClient posts webhooks (default: a plain client; the attempt's
	// context bounds it). WebhookReload is how often the webhook list is
	// read again (default 30 s).
	WebhookClient *http.Client
	WebhookReload time.Duration
	// Escalation sends critical alerts nobody acknowledges on to the
	// escalation contacts by mail (needs SMTPURL).
	Escalation EscalationOptions
	// TimeZone is the zone of quiet hours for users who set none (nil:
	// the server's).
	TimeZone *time.Location
	// Owns reports the receivers this instance judges (nil: all; see
	// Options.Owns); Relay, when set, also receives every event this
	// instance raises or records, to tell the other instances.
	Owns  func(receiverID int64) bool
	Relay Publisher
	// TimerEvery and ReloadEvery tune the engine (see Options).
	TimerEvery  time.Duration
	ReloadEvery time.Duration
}

// System is the rules engine with its deliveries: the browser feed, the
// dispatcher and its sinks.
type System struct {
	Engine     *Engine
	Feed       *Feed
	Dispatcher *Dispatcher
	// Escalator is nil without mail or with escalation off.
	Escalator *Escalator

	o    SystemOptions
	log  *slog.Logger
	mqtt *MQTT
	mail *Email
}

// NewSystem builds the alerting; Run starts it.
func NewSystem(o SystemOptions) (*System, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.WebhookReload <= 0 {
		o.WebhookReload = 30 * time.Second
	}
	if o.WebhookClient == nil {
		o.WebhookClient = &http.Client{}
	}
	s := &System{o: o, log: o.Logger, Feed: NewFeed()}
	do := o.Dispatch
	do.Store, do.Logger = o.Store, o.Logger.With("component", "alert-delivery")
	s.Dispatcher = NewDispatcher(do)
	var states []StateListener
	if o.SMTPURL != "" {
		m, err := NewEmail(o.SMTPURL, o.SMTPFrom, o.Store)
		if err != nil {
			return nil, fmt.Errorf("alert mail: %w", err)
		}
		m.Zone = o.TimeZone
		s.mail = m
	}
	if o.MQTTURL != "" {
		m, err := NewMQTT(o.MQTTURL, o.MQTTPrefix, o.Logger.With("component", "mqtt"))
		if err != nil {
			return nil, fmt.Errorf("alert MQTT: %w", err)
		}
		s.mqtt = m
		states = append(states, m)
	}
	pubs := []Publisher{s.Feed, s.Dispatcher}
	if o.Relay != nil {
		pubs = append(pubs, o.Relay)
	}
	s.Engine = New(Options{
		Board: o.Board, Store: o.Store, Logger: o.Logger.With("component", "alerts"), Config: o.Rules,
		Publishers: pubs, States: states, Owns: o.Owns,
		TimerEvery: o.TimerEvery, ReloadEvery: o.ReloadEvery,
	})
	switch {
	case o.Escalation.After > 0 && s.mail != nil:
		s.Escalator = NewEscalator(o.Escalation, s.Engine, o.Store, s.mail, s.Dispatcher, o.Logger.With("component", "escalation"))
	case o.Escalation.After > 0:
		o.Logger.Info("alert escalation needs mail: set MICBOARD_SMTP_URL to send unacknowledged critical alerts to the escalation contacts")
	}
	return s, nil
}

// ApplyRemote takes an alert event another instance raised or recorded:
// this instance's lists and browsers show it; its webhooks, mail and MQTT
// went out once, from the instance that raised it.
func (s *System) ApplyRemote(ev Event) {
	s.Engine.Remote(ev)
	s.Feed.Publish(ev)
}

// Run runs the rules and the deliveries until ctx ends, then waits for them.
func (s *System) Run(ctx context.Context) {
	s.Dispatcher.Start(ctx)
	s.reloadSinks(ctx)
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	run(s.Engine.Run)
	if s.Escalator != nil {
		run(s.Escalator.Run)
	}
	if s.mqtt != nil {
		run(s.mqtt.Run)
	}
	run(func(ctx context.Context) {
		tk := time.NewTicker(s.o.WebhookReload)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				s.reloadSinks(ctx)
			}
		}
	})
	wg.Wait()
	s.Dispatcher.Wait()
}

// ReloadSinks reads the webhooks again now (after one was added).
func (s *System) ReloadSinks(ctx context.Context) { s.reloadSinks(ctx) }

// reloadSinks sets the dispatcher's sinks: every active webhook (each with
// a queue of its own), the mail server and the broker.
func (s *System) reloadSinks(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	hooks, err := s.o.Store.Webhooks.List(ctx, true)
	if err != nil {
		s.log.Warn("read webhooks", "err", err)
		return
	}
	sinks := map[string]Sink{}
	for _, h := range hooks {
		// A changed URL, secret or kind list is a new sink.
		id := "webhook:" + strconv.FormatInt(h.ID, 10) + ":" + h.URL + ":" + h.Secret + ":" + fmt.Sprint(h.Kinds)
		sinks[id] = NewWebhook(*h, s.o.WebhookClient)
	}
	if s.mail != nil {
		sinks["email"] = s.mail
	}
	if s.mqtt != nil {
		sinks["mqtt"] = s.mqtt
	}
	s.Dispatcher.Set(sinks)
}
