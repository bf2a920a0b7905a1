package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/service"
	"micboard/app/store"
)

// Event is one step of an alert's lifecycle, as every sink receives it.
type Event struct {
	Event model.AlertEvent
	Alert model.Alert
	At    time.Time
}

// Publisher takes events; it must never block (Dispatcher, Feed).
type Publisher interface{ Publish(Event) }

// StateListener is told about a channel whose status changed (the MQTT
// sink's retained state); it must never block.
type StateListener interface{ ChannelState(t live.Tile) }

// Options build an Engine.
type Options struct {
	Board  *live.Board
	Store  *store.Store
	Logger *slog.Logger
	Config Config
	// Publishers receive every event: the dispatcher, the browser feed.
	Publishers []Publisher
	// States hear of every status change (MQTT).
	States []StateListener
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Owns reports the receivers whose channels this instance judges
	// (nil: all). With several instances only the one watching a receiver
	// raises and resolves its alerts, so each event alerts once; the
	// others learn of them through Remote.
	Owns func(receiverID int64) bool
	// TimerEvery is how often conditions that need time (RF loss for 3 s)
	// are checked again (default 250 ms); ReloadEvery how often the
	// assignments are read again (default 30 s).
	TimerEvery  time.Duration
	ReloadEvery time.Duration
}

// key names one alert condition: a channel's, or a receiver's (channel 0).
type key struct {
	channel  int64
	receiver int64
	kind     model.AlertKind
}

// chanState is what the rules remember of a channel between changes.
type chanState struct {
	seenOn     bool      // the transmitter was heard since start
	rfBadSince time.Time // zero while RF is fine
	audioSince time.Time // zero while audio is fine
	status     model.Status
	online     bool
}

// Engine evaluates the rules on every change the board publishes.
type Engine struct {
	o   Options
	cfg Config
	log *slog.Logger

	mu         sync.Mutex
	policies   map[int64]policy // channel → its assignment's policy
	chans      map[int64]*chanState
	rxSeen     map[int64]bool // receivers seen online since start
	open       map[key]*model.Alert
	lastOpened map[key]time.Time
	watch      map[int64]bool // channels with a timed condition pending
	// loaded is set once Run has taken up the open alerts and judged every
	// tile; from then on a reload judges again the channels whose policy
	// changed.
	loaded bool
}

// New returns an engine; Run starts it.
func New(o Options) *Engine {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TimerEvery <= 0 {
		o.TimerEvery = 250 * time.Millisecond
	}
	if o.ReloadEvery <= 0 {
		o.ReloadEvery = 30 * time.Second
	}
	return &Engine{
		o: o, cfg: o.Config.withDefaults(), log: o.Logger,
		policies: map[int64]policy{}, chans: map[int64]*chanState{}, rxSeen: map[int64]bool{},
		open: map[key]*model.Alert{}, lastOpened: map[key]time.Time{}, watch: map[int64]bool{},
	}
}

// Run evaluates until ctx ends. It subscribes to the board first, so no
// change is missed between loading and listening.
// changeBatchEvery is how often the rules look at what changed.
const changeBatchEvery = 200 * time.Millisecond

func (e *Engine) Run(ctx context.Context) {
	sub := e.o.Board.Subscribe()
	defer sub.Close()
	e.reload(ctx)
	e.loadOpen(ctx)
	e.evaluate(ctx, e.o.Board.Tiles())
	e.mu.Lock()
	e.loaded = true
	e.mu.Unlock()
	timer := time.NewTicker(e.o.TimerEvery)
	defer timer.Stop()
	reload := time.NewTicker(e.o.ReloadEvery)
	defer reload.Stop()
	// Changes are taken in batches on a short clock, not on every publish:
	// a fleet metering ten times a second publishes thousands of changes a
	// second, and waking for each cost more than the rules themselves.
	batch := time.NewTicker(changeBatchEvery)
	defer batch.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-batch.C:
			changed := sub.Take()
			if len(changed) == 0 {
				continue
			}
			ids := make([]int64, 0, len(changed))
			for id := range changed {
				ids = append(ids, id)
			}
			e.evaluate(ctx, e.o.Board.TilesByID(ids))
		case <-timer.C:
			e.mu.Lock()
			ids := make([]int64, 0, len(e.watch))
			for id := range e.watch {
				ids = append(ids, id)
			}
			e.mu.Unlock()
			if len(ids) > 0 {
				e.evaluate(ctx, e.o.Board.TilesByID(ids))
			}
		case <-reload.C:
			e.reload(ctx)
		}
	}
}

// Config is the rules' defaults this engine applies where an assignment
// sets no limit of its own.
func (e *Engine) Config() Config { return e.cfg }

// ReloadRules reads the assignments' alert flags and limits again at once
// (they changed), instead of at the next slow reload, and judges the
// channels whose rules changed by what they show now: a pack already below
// a new limit alerts without waiting for its next reading.
func (e *Engine) ReloadRules(ctx context.Context) { e.reload(ctx) }

// reload reads the active assignments: which channels have whose flags
// and limits. It is configuration, read on a slow clock; the rules
// themselves run on the board's changes, and on a change of the rules.
func (e *Engine) reload(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	asg, err := e.o.Store.Assignments.Query().Active().List(ctx)
	if err != nil {
		e.log.Warn("alert rules: read assignments", "err", err)
		return
	}
	p := make(map[int64]policy, len(asg))
	for _, a := range asg {
		p[a.ChannelID] = assignmentPolicy(e.cfg, a)
	}
	e.mu.Lock()
	var changed []int64
	if e.loaded {
		for ch, np := range p {
			if op, ok := e.policies[ch]; !ok || op != np {
				changed = append(changed, ch)
			}
		}
		for ch := range e.policies {
			if _, ok := p[ch]; !ok {
				changed = append(changed, ch)
			}
		}
	}
	e.policies = p
	e.mu.Unlock()
	if len(changed) > 0 {
		e.evaluate(ctx, e.o.Board.TilesByID(changed))
	}
}

// loadOpen takes up the alerts left unresolved by a previous run, so they
// resolve when their condition clears and are not raised twice.
func (e *Engine) loadOpen(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	list, err := e.o.Store.Alerts.Query().Unresolved().List(ctx)
	if err != nil {
		e.log.Warn("alert rules: read unresolved alerts", "err", err)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// The database is the truth: an alert resolved meanwhile (by another
	// instance, or by hand) is dropped; one never stored (the database was
	// away when it opened) is kept.
	stored := make(map[int64]bool, len(list))
	for _, a := range list {
		stored[a.ID] = true
	}
	for k, a := range e.open {
		if a.ID != 0 && !stored[a.ID] {
			delete(e.open, k)
		}
	}
	for _, a := range list {
		k := key{kind: a.Kind}
		if a.ChannelID != nil {
			k.channel = *a.ChannelID
		} else if a.ReceiverID != nil {
			k.receiver = *a.ReceiverID
		}
		if cur, dup := e.open[k]; !dup || cur.ID == a.ID {
			e.open[k] = a
			e.lastOpened[k] = a.OpenedAt
		}
	}
}

// evaluate applies the rules to changed tiles.
func (e *Engine) evaluate(ctx context.Context, tiles []live.Tile) {
	now := e.o.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	rxOnline := map[int64]bool{}
	rxTile := map[int64]*live.Tile{}
	for i := range tiles {
		t := &tiles[i]
		if !e.owns(t.ReceiverID) {
			delete(e.watch, t.ChannelID)
			continue
		}
		e.channel(ctx, t, now)
		rxOnline[t.ReceiverID] = t.Online
		rxTile[t.ReceiverID] = t
	}
	for rx, online := range rxOnline {
		e.receiver(ctx, rxTile[rx], online, now)
	}
}

// channel applies the channel rules to one tile; callers hold mu.
func (e *Engine) channel(ctx context.Context, t *live.Tile, now time.Time) {
	st := e.chans[t.ChannelID]
	if st == nil {
		st = &chanState{}
		e.chans[t.ChannelID] = st
	}
	if st.status != t.Status || st.online != t.Online {
		st.status, st.online = t.Status, t.Online
		for _, l := range e.o.States {
			l.ChannelState(*t)
		}
	}
	if !t.Online {
		// Nothing is known of the channel while its receiver is away: its
		// alerts hold until it answers again.
		st.rfBadSince, st.audioSince = time.Time{}, time.Time{}
		delete(e.watch, t.ChannelID)
		return
	}
	p, ok := e.policies[t.ChannelID]
	if !ok {
		p = defaultPolicy(e.cfg)
	}
	on := txOn(t)
	noBattery := !t.DeviceType.ReportsBattery()
	want := map[model.AlertKind]bool{}
	timed := false

	// Battery: low or critical; held while the pack is silent.
	battery := !noBattery && p.flags.BatteryLow
	// The tile's own level unless the assignment sets limits of its own.
	if k := t.Battery.Grade(p.battery).AlertKind(); battery && k != "" {
		want[k] = true
	}
	// RF loss: no signal for rfAfter while the transmitter is on.
	if on && !noBattery && rfLost(t, e.cfg.RFFloorDBm) {
		if st.rfBadSince.IsZero() {
			st.rfBadSince = now
		}
		if now.Sub(st.rfBadSince) >= p.rfAfter {
			want[model.AlertRFLoss] = p.flags.SignalLoss
		} else {
			timed = true
		}
	} else {
		st.rfBadSince = time.Time{}
	}
	// Audio low: below the level for AudioLowAfter, where switched on.
	if on && p.flags.AudioLow && audioLow(t, p.audioDBFS) {
		if st.audioSince.IsZero() {
			st.audioSince = now
		}
		if now.Sub(st.audioSince) >= e.cfg.AudioLowAfter {
			want[model.AlertAudioLow] = true
		} else {
			timed = true
		}
	} else {
		st.audioSince = time.Time{}
	}
	// Transmitter switched off while assigned.
	if on {
		st.seenOn = true
	} else if st.seenOn && t.Assigned && p.flags.DeviceOffline && !noBattery {
		want[model.AlertTxOff] = true
	}

	for _, kind := range []model.AlertKind{model.AlertBatteryLow, model.AlertBatteryCritical, model.AlertRFLoss, model.AlertAudioLow, model.AlertTxOff} {
		k := key{channel: t.ChannelID, kind: kind}
		hold := !t.Battery.Known() && (kind == model.AlertBatteryLow || kind == model.AlertBatteryCritical)
		if e.settle(ctx, k, want[kind], hold, t, now) {
			timed = true
		}
	}
	if timed {
		e.watch[t.ChannelID] = true
	} else {
		delete(e.watch, t.ChannelID)
	}
}

// receiver applies the receiver rule: offline (after it was seen online)
// and back. t is any of its channels; callers hold mu.
func (e *Engine) receiver(ctx context.Context, t *live.Tile, online bool, now time.Time) {
	if online {
		e.rxSeen[t.ReceiverID] = true
	}
	want := !online && e.rxSeen[t.ReceiverID] && e.receiverFlag(t.ReceiverID)
	e.settle(ctx, key{receiver: t.ReceiverID, kind: model.AlertRxOffline}, want, false, t, now)
}

// receiverFlag reports whether any channel of a receiver wants offline
// alerts (channels without an assignment do by default).
func (e *Engine) receiverFlag(rx int64) bool {
	tiles := e.o.Board.Tiles()
	any := false
	for i := range tiles {
		if tiles[i].ReceiverID != rx {
			continue
		}
		p, ok := e.policies[tiles[i].ChannelID]
		if !ok || p.flags.DeviceOffline {
			return true
		}
		any = true
	}
	return !any
}

// settle opens or resolves the alert of k so it matches want; hold keeps it
// as it is (nothing is known). It reports a condition that holds but may
// not alert yet (inside the repeat interval), to be checked again.
func (e *Engine) settle(ctx context.Context, k key, want, hold bool, t *live.Tile, now time.Time) (pending bool) {
	a := e.open[k]
	switch {
	case hold:
		return false
	case want && a == nil:
		if last, ok := e.lastOpened[k]; ok && now.Sub(last) < e.cfg.Repeat {
			return true // not twice within the interval; look again later
		}
		e.raise(ctx, k, t, now)
	case !want && a != nil:
		delete(e.open, k)
		e.resolve(ctx, a, model.ResolvedAuto, now)
	}
	return false
}

// raise opens, stores and publishes an alert; callers hold mu.
func (e *Engine) raise(ctx context.Context, k key, t *live.Tile, now time.Time) {
	a := &model.Alert{
		Kind: k.kind, Severity: k.kind.Severity(), State: model.AlertOpen, OpenedAt: now,
		Slot: t.Slot, ChannelName: t.Name, Performer: t.Performer, ReceiverName: t.ReceiverName,
	}
	rx := t.ReceiverID
	a.ReceiverID = &rx
	if k.channel != 0 {
		ch := k.channel
		a.ChannelID = &ch
	} else {
		a.Slot, a.ChannelName, a.Performer = "", "", ""
	}
	a.Message, a.Value = describe(k.kind, t)
	e.lastOpened[k] = now
	e.open[k] = a
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := e.o.Store.Alerts.Create(ctx, a); err != nil {
		// The alert still goes out: people matter more than the record.
		e.log.Error("store alert", "kind", a.Kind, "err", err)
	}
	e.log.Info("alert opened", "alert", a.ID, "kind", a.Kind, "slot", a.Slot, "receiver", a.ReceiverName)
	e.publish(model.EventOpened, a, now)
}

// resolve marks an alert resolved, stores and publishes it.
func (e *Engine) resolve(ctx context.Context, a *model.Alert, by string, now time.Time) {
	a.State, a.ResolvedAt, a.ResolvedBy = model.AlertResolved, &now, by
	if a.ID != 0 {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := e.o.Store.Alerts.Resolve(ctx, a.ID, by, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			e.log.Error("resolve alert", "alert", a.ID, "err", err)
		}
	}
	e.log.Info("alert resolved", "alert", a.ID, "kind", a.Kind, "by", by)
	e.publish(model.EventResolved, a, now)
}

func (e *Engine) publish(ev model.AlertEvent, a *model.Alert, now time.Time) {
	out := Event{Event: ev, Alert: *a, At: now}
	for _, p := range e.o.Publishers {
		p.Publish(out)
	}
}

// ErrNotOpen: the alert is not open (acknowledged or resolved meanwhile).
var ErrNotOpen = errors.New("this alert is no longer open")

// Acknowledge records that a person took an open alert in hand, in the
// alert and the audit log, and tells every sink.
func (e *Engine) Acknowledge(ctx context.Context, id int64, actor service.Actor) (*model.Alert, error) {
	now := e.o.Now()
	var a *model.Alert
	err := service.Audited(ctx, e.o.Store, actor, func(tx *store.Store) (service.Change, error) {
		var err error
		if a, err = tx.Alerts.Acknowledge(ctx, id, actor.UserID, actor.Name, now); err != nil {
			return service.Change{}, err
		}
		return service.Change{Action: "alert.acknowledge", ObjectKind: "alert", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("acknowledged %s alert: %s", a.Kind, a.Message)}, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotOpen
	}
	if err != nil {
		return nil, fmt.Errorf("acknowledge alert %d: %w", id, err)
	}
	e.mu.Lock()
	for _, open := range e.open {
		if open.ID == id {
			open.State, open.AcknowledgedAt, open.AcknowledgedByName = a.State, a.AcknowledgedAt, a.AcknowledgedByName
		}
	}
	e.mu.Unlock()
	e.publish(model.EventAcknowledged, a, now)
	return a, nil
}

// Resolve resolves an alert by hand, recorded in the audit log. If its
// condition still holds it is not raised again within the repeat interval.
func (e *Engine) Resolve(ctx context.Context, id int64, actor service.Actor) (*model.Alert, error) {
	now := e.o.Now()
	var a *model.Alert
	err := service.Audited(ctx, e.o.Store, actor, func(tx *store.Store) (service.Change, error) {
		var err error
		if a, err = tx.Alerts.Resolve(ctx, id, actor.Name, now); err != nil {
			return service.Change{}, err
		}
		return service.Change{Action: "alert.resolve", ObjectKind: "alert", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("resolved %s alert by hand: %s", a.Kind, a.Message)}, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotOpen
	}
	if err != nil {
		return nil, fmt.Errorf("resolve alert %d: %w", id, err)
	}
	e.mu.Lock()
	for k, open := range e.open {
		if open.ID == id {
			delete(e.open, k)
		}
	}
	e.mu.Unlock()
	e.publish(model.EventResolved, a, now)
	return a, nil
}

func (e *Engine) owns(receiverID int64) bool {
	return e.o.Owns == nil || e.o.Owns(receiverID)
}

// Adopt takes up the alerts of receivers this instance has just begun to
// watch (another instance stopped or died): their unresolved alerts are
// read again from the database, so they resolve here and are not raised
// twice.
func (e *Engine) Adopt(ctx context.Context) { e.loadOpen(ctx) }

// Remote records an alert event another instance raised, so this
// instance's pages and kiosks list it; the rules never act on it.
func (e *Engine) Remote(ev Event) {
	a := ev.Alert
	k := key{kind: a.Kind}
	if a.ChannelID != nil {
		k.channel = *a.ChannelID
	} else if a.ReceiverID != nil {
		k.receiver = *a.ReceiverID
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := e.open[k]
	switch {
	case a.State == model.AlertResolved || ev.Event == model.EventResolved:
		if cur != nil && cur.ID == a.ID {
			delete(e.open, k)
		}
	case cur == nil || cur.ID == a.ID || cur.ID == 0:
		e.open[k] = &a
		e.lastOpened[k] = a.OpenedAt
	}
}

// Owned returns the unresolved alerts of receivers this instance watches:
// the ones it escalates.
func (e *Engine) Owned() []model.Alert {
	all := e.Unresolved(nil)
	out := all[:0]
	for _, a := range all {
		if a.ReceiverID == nil || e.owns(*a.ReceiverID) {
			out = append(out, a)
		}
	}
	return out
}

// Unresolved returns copies of the alerts open or acknowledged now, newest
// first, optionally only those of the given channels.
func (e *Engine) Unresolved(channels map[int64]bool) []model.Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]model.Alert, 0, len(e.open))
	for _, a := range e.open {
		if channels != nil && (a.ChannelID == nil || !channels[*a.ChannelID]) {
			continue
		}
		out = append(out, *a)
	}
	sortNewest(out)
	return out
}

// describe says what an alert is about, in words and values.
func describe(kind model.AlertKind, t *live.Tile) (string, json.RawMessage) {
	who := t.Slot
	if t.Name != "" {
		who = joinNonEmpty(t.Slot, t.Name)
	}
	if who == "" {
		who = fmt.Sprintf("%s ch %d", t.ReceiverName, t.Number)
	}
	v := map[string]any{}
	battery := func() string {
		var s string
		if p, ok := t.Battery.PercentLeft(); ok {
			v["battery_percent"] = p
			s = fmt.Sprintf("%d %%", p)
		}
		if t.Battery.Bars != nil {
			v["battery_bars"] = *t.Battery.Bars
		}
		if t.Battery.Minutes != nil {
			v["battery_minutes"] = *t.Battery.Minutes
			// Both figures: the worse one set the level (model.Battery.Grade).
			s = joinComma(s, fmt.Sprintf("%d min left", *t.Battery.Minutes))
		}
		return s
	}
	var msg string
	switch kind {
	case model.AlertBatteryLow:
		msg = who + " — battery low, " + battery()
	case model.AlertBatteryCritical:
		msg = who + " — battery critical, " + battery()
	case model.AlertRFLoss:
		if m, ok := t.RFMax(); ok {
			v["rf_dbm"] = m
		}
		if t.Quality != nil {
			v["quality"] = *t.Quality
		}
		msg = who + " — RF lost"
	case model.AlertAudioLow:
		if t.AudioDBFS != nil {
			v["audio_dbfs"] = *t.AudioDBFS
		}
		msg = who + " — audio low"
	case model.AlertTxOff:
		msg = who + " — transmitter switched off"
	case model.AlertRxOffline:
		msg = t.ReceiverName + " — receiver offline"
		if t.ReceiverName == "" {
			msg = "receiver offline"
		}
		v["host"] = t.Host
	}
	b, _ := json.Marshal(v)
	return msg, b
}

func joinComma(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}
