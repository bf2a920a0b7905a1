// Package monitor watches the receivers: one supervisor goroutine per active
// receiver connects, feeds readings to the board, keeps the receiver's
// connection record true, and reconnects with backoff. A manager starts and
// stops supervisors as receivers are added, edited or deactivated.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"micboard/app/device"
	"micboard/app/live"
	"micboard/app/model"
	"micboard/app/secret"
	"micboard/app/service"
	"micboard/app/store"
)

// Options tune the Manager.
type Options struct {
	MeterRate time.Duration // asked of every receiver (default 1 s)
	// PollEvery is how often the receiver list is re-read (default 2 s).
	PollEvery time.Duration
	// HeartbeatEvery bounds how often last_message_at is written (default 5 s).
	HeartbeatEvery time.Duration
	// BackoffMin and BackoffMax bound reconnect delays (default 500 ms,
	// 15 s: a rack that was off for the interval is back on the board
	// within 19 s of its return, and 250 dead receivers still cost the
	// database only a few writes a second).
	BackoffMin, BackoffMax time.Duration
	// LinkTimeout overrides the driver's dead-link timeout (0: the driver's).
	LinkTimeout time.Duration
	// OfflineGrace is how long a receiver that was online may stay
	// unreachable before it is shown offline (default 1.5 s: room for one
	// reconnect after a reset, while a stopped receiver still shows within
	// 2 s; negative: at once). A link that drops and reconnects within it is
	// no false alarm.
	OfflineGrace time.Duration
	Logger       *slog.Logger
	// SecretKey opens the passwords stored with receivers that need a
	// login (nil: such receivers are shown offline with the reason).
	SecretKey *secret.Key
	// Observer is told of every service call the monitor makes (status,
	// heartbeats, registrations), like the web's (nil: nobody).
	Observer service.Observer
	// Leases, when several instances share the database, says which
	// receivers this instance watches (app/cluster): only those get a
	// supervisor, and every write for a receiver checks its lease. The
	// board still holds every active receiver, fed by the other instances.
	// Nil: this instance watches them all.
	Leases store.Fence
}

// quiet is the Observer of a monitor nobody observes.
type quiet struct{}

func (quiet) ObserveCall(context.Context, string, time.Time, *error) {}

func observer(o service.Observer) service.Observer {
	if o == nil {
		return quiet{}
	}
	return o
}

// Manager owns one supervisor per active receiver.
type Manager struct {
	st    *store.Store
	board *live.Board
	devs  *service.TimedDevices
	conns *service.TimedConnections
	opts  Options
	log   *slog.Logger

	mu    sync.Mutex
	sups  map[int64]*supervisor
	wg    sync.WaitGroup
	beats heartbeats
}

// New returns a Manager; Run starts it.
func New(st *store.Store, board *live.Board, opts Options) *Manager {
	if opts.MeterRate <= 0 {
		opts.MeterRate = time.Second
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = 2 * time.Second
	}
	if opts.HeartbeatEvery <= 0 {
		opts.HeartbeatEvery = 5 * time.Second
	}
	if opts.OfflineGrace == 0 {
		opts.OfflineGrace = 1500 * time.Millisecond
	}
	if opts.BackoffMin <= 0 {
		opts.BackoffMin = 500 * time.Millisecond
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = 15 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Manager{
		st: st, board: board, opts: opts, log: opts.Logger,
		devs:  service.TimeDevices(service.NewDevices(st), observer(opts.Observer)),
		conns: service.TimeConnections(service.NewConnections(st), observer(opts.Observer)),
		sups:  map[int64]*supervisor{},
	}
}

// target is what a supervisor needs to reach a receiver; a change to any
// field restarts the supervisor.
type target struct {
	ID     int64
	Vendor string
	Family string // the registered device type, so a driver picks its transport first time
	Host   string
	Port   int
	// Login for receivers that need one (see credentials.go); CredErr says
	// why a stored password could not be opened.
	Username, Password, Fingerprint, CredErr string
}

type supervisor struct {
	tgt    target
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	drv device.Driver // the connected session's driver, nil between sessions

	lastMsg atomic.Int64 // unix nanos of the last reading, over all sessions
	outage  outage
}

// setDriver records the live session's driver (nil when it ends).
func (s *supervisor) setDriver(d device.Driver) {
	s.mu.Lock()
	s.drv = d
	s.mu.Unlock()
}

// Run watches receivers until ctx ends, then stops every supervisor and
// waits for their sockets to close.
func (m *Manager) Run(ctx context.Context) error {
	defer m.stopAll()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.runHeartbeats(ctx)
	}()
	tk := time.NewTicker(m.opts.PollEvery)
	defer tk.Stop()
	for {
		if err := m.Sync(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("monitor: read receivers", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
		}
	}
}

// Sync starts supervisors for new or changed active receivers this
// instance watches and stops those of receivers that were deactivated,
// deleted, moved or handed to another instance. The board holds every
// active receiver, watched here or not.
func (m *Manager) Sync(ctx context.Context) error {
	rxs, err := m.st.Receivers.Query().Active().WithRelations().List(ctx)
	if err != nil {
		return fmt.Errorf("list active receivers: %w", err)
	}
	creds, err := m.st.Receivers.ActiveCredentials(ctx)
	if err != nil {
		return err
	}
	active := map[int64]bool{}
	want := map[int64]target{}
	for _, rx := range rxs {
		active[rx.ID] = true
		if rx.Status == model.LifecycleRetired || rx.Manufacturer == nil {
			continue
		}
		if !m.watches(rx.ID) {
			continue
		}
		t := target{ID: rx.ID, Vendor: rx.Manufacturer.Code, Family: string(rx.DeviceType), Host: rx.Host, Port: rx.Port}
		want[rx.ID] = m.withCredentials(t, creds[rx.ID])
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, s := range m.sups {
		if t, ok := want[id]; !ok || t != s.tgt {
			s.cancel()
			<-s.done
			delete(m.sups, id)
		}
	}
	for _, id := range m.board.ReceiverIDs() {
		if !active[id] {
			m.board.RemoveReceiver(id)
		}
	}
	for id := range active {
		if _, onBoard := m.board.ChannelID(id, 1); !onBoard {
			if err := m.board.LoadReceiver(ctx, m.st, id); err != nil {
				m.log.Warn("monitor: load receiver onto board", "receiver", id, "err", err)
			}
		}
	}
	for id, t := range want {
		if _, ok := m.sups[id]; ok {
			continue
		}
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		s := &supervisor{tgt: t, cancel: cancel, done: make(chan struct{})}
		m.sups[id] = s
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer close(s.done)
			m.supervise(sctx, s)
		}()
	}
	return nil
}

// watches reports whether this instance holds the receiver's lease (every
// receiver, without leases).
func (m *Manager) watches(receiverID int64) bool {
	if m.opts.Leases == nil {
		return true
	}
	_, ok := m.opts.Leases.Fence(receiverID)
	return ok
}

// writeFor runs a database write for receivers this instance watches,
// fenced by their leases (store.WriteFenced): the write happens only for
// those whose lease is still this instance's.
func (m *Manager) writeFor(ctx context.Context, ids []int64, fn func(devs *service.TimedDevices, conns *service.TimedConnections, ids []int64) error) error {
	if m.opts.Leases == nil {
		return fn(m.devs, m.conns, ids)
	}
	return m.st.WriteFenced(ctx, m.opts.Leases, ids, func(tx *store.Store, ids []int64) error {
		o := observer(m.opts.Observer)
		return fn(service.TimeDevices(service.NewDevices(tx), o), service.TimeConnections(service.NewConnections(tx), o), ids)
	})
}

// syncStatus records a receiver online or offline, fenced by its lease.
func (m *Manager) syncStatus(ctx context.Context, id int64, online bool, cause string) error {
	return m.writeFor(ctx, []int64{id}, func(devs *service.TimedDevices, _ *service.TimedConnections, _ []int64) error {
		_, err := devs.SyncStatus(ctx, id, online, cause)
		return err
	})
}

// ErrNotWatching: the receiver has no supervisor (inactive or unknown) or
// is not connected right now.
var ErrNotWatching = errors.New("receiver is not connected")

// SetChannelName writes a channel's name into the receiver itself (what an
// admin renames lives on the device, so every tool sees it). The device's
// confirmation arrives like any update and reaches the board.
func (m *Manager) SetChannelName(ctx context.Context, receiverID int64, channel int, name string) error {
	m.mu.Lock()
	sup := m.sups[receiverID]
	m.mu.Unlock()
	if sup == nil {
		return fmt.Errorf("rename channel %d of receiver %d: %w", channel, receiverID, ErrNotWatching)
	}
	sup.mu.Lock()
	drv := sup.drv
	sup.mu.Unlock()
	if drv == nil {
		return fmt.Errorf("rename channel %d of receiver %d: %w", channel, receiverID, ErrNotWatching)
	}
	if err := drv.SetChannelName(ctx, channel, name); err != nil {
		return fmt.Errorf("rename channel %d of receiver %d: %w", channel, receiverID, err)
	}
	return nil
}

// Watching returns how many receivers have a supervisor.
func (m *Manager) Watching() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sups)
}

func (m *Manager) stopAll() {
	m.mu.Lock()
	for id, s := range m.sups {
		s.cancel()
		delete(m.sups, id)
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// supervise keeps one receiver connected until ctx ends.
func (m *Manager) supervise(ctx context.Context, sup *supervisor) {
	t := sup.tgt
	log := m.log.With("receiver", t.ID, "addr", fmt.Sprintf("%s:%d", t.Host, t.Port))
	failures := 0
	wasOnline := false
	for ctx.Err() == nil {
		err := m.session(ctx, sup, log, &wasOnline)
		if ctx.Err() != nil {
			return
		}
		if wasOnline {
			failures = 0 // a healthy session ends the last outage's backoff
		}
		failures++
		if wasOnline || failures == 1 {
			log.Warn("receiver link lost", "err", err)
		}
		m.linkLost(ctx, sup, log, err, wasOnline)
		wasOnline = false
		delay := backoff(failures, m.opts.BackoffMin, m.opts.BackoffMax)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

func errText(err error) string {
	if err == nil {
		return "link closed"
	}
	return err.Error()
}

// backoff doubles from min per failure up to max, with ±25 % jitter so a
// fleet that lost power together does not reconnect in lockstep.
func backoff(failures int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 1; i < failures && d < hi; i++ {
		d *= 2
	}
	return time.Duration(float64(min(d, hi)) * (0.75 + rand.Float64()*0.5))
}

// session runs one connection: dial, read until the link fails.
func (m *Manager) session(ctx context.Context, sup *supervisor, log *slog.Logger, wasOnline *bool) error {
	t := sup.tgt
	if t.CredErr != "" {
		return errors.New(t.CredErr)
	}
	// The driver names its vendor and address itself; handing it the
	// supervisor's logger (which has the address too) would log it twice.
	cfg := device.Config{Host: t.Host, Port: t.Port, Family: t.Family, MeterRate: m.opts.MeterRate, LinkTimeout: m.opts.LinkTimeout, Logger: m.log.With("receiver", t.ID),
		Username: t.Username, Password: device.Secret(t.Password), TLSFingerprint: t.Fingerprint}
	drv, err := device.New(t.Vendor, cfg)
	if err != nil {
		return err
	}
	defer drv.Close()
	if err := drv.Dial(ctx); err != nil {
		return err
	}
	sup.setDriver(drv)
	defer sup.setDriver(nil)

	lastMsg := &sup.lastMsg
	heard := make(chan struct{}, 1)
	facts := make(chan device.Reading, 1)
	sctx, stop := context.WithCancel(ctx)
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		m.background(sctx, sup, log, lastMsg, heard, facts, wasOnline)
	}()
	defer func() { stop(); bg.Wait() }()

	var state device.Reading
	var lastKey string
	registered, first := false, true
	err = drv.Run(ctx, func(r device.Reading) {
		lastMsg.Store(time.Now().UnixNano())
		if first {
			first = false
			heard <- struct{}{} // room for exactly this one
		}
		state.Merge(r)
		unknown := m.board.Apply(t.ID, r)
		if registered && len(unknown) == 0 && !carriesFacts(&r) {
			return // a meter sample: nothing to register
		}
		key := factsKey(&state)
		// Register only a complete picture, so a half-read device never
		// overwrites stored channel names with blanks.
		if (key != lastKey || len(unknown) > 0) && device.Complete(&state) {
			registered, lastKey = true, key
			// Latest wins: drop a pending report for the newer one.
			select {
			case <-facts:
			default:
			}
			facts <- state.Clone()
		}
	})
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// carriesFacts reports whether a reading says something about the
// receiver itself (not only its channels' values).
func carriesFacts(r *device.Reading) bool {
	return r.Name.Set || r.Model.Set || r.Firmware.Set || r.Serial.Set || r.RFBand.Set || r.ChannelCount.Set
}

// recordOnlineRetry is how soon a failed "online" write is tried again.
const recordOnlineRetry = time.Second

// background does a session's database work off the read loop: mark the
// receiver online once it is heard, hand its heartbeat to the manager's
// batch, and register what the receiver says about itself. It wakes only
// when there is something to do: no timer runs per receiver.
func (m *Manager) background(ctx context.Context, sup *supervisor, log *slog.Logger, lastMsg *atomic.Int64, heard <-chan struct{}, facts <-chan device.Reading, wasOnline *bool) {
	t := sup.tgt
	var retry <-chan time.Time
	// The board and the heartbeat batch learn at once that the receiver
	// answers; the database record follows, retried while it fails, so an
	// outage of PostgreSQL never keeps a receiver off the board.
	recordOnline := func() {
		sup.outage.writeMu.Lock()
		err := m.syncStatus(ctx, t.ID, true, "")
		sup.outage.writeMu.Unlock()
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("record online", "err", err)
			}
			retry = time.After(recordOnlineRetry)
			return
		}
		retry = nil
	}
	markOnline := func() {
		m.heardAgain(ctx, sup, log)
		*wasOnline = true
		m.beats.add(t.ID, lastMsg)
		m.board.SetOnline(t.ID, true)
		log.Info("receiver online")
		recordOnline()
	}
	defer m.beats.remove(t.ID)
	for {
		select {
		case <-ctx.Done():
			return
		case <-heard:
			markOnline()
		case <-retry:
			recordOnline()
		case r := <-facts:
			rep, err := ReportFromReading(t.Vendor, t.Host, t.Port, r)
			if err != nil {
				continue
			}
			err = m.writeFor(ctx, []int64{t.ID}, func(devs *service.TimedDevices, _ *service.TimedConnections, _ []int64) error {
				_, _, err := devs.UpsertFromReport(ctx, rep)
				return err
			})
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("register receiver facts", "err", err)
				}
				continue
			}
			if err := m.board.LoadReceiver(ctx, m.st, t.ID); err != nil && ctx.Err() == nil {
				log.Warn("reload receiver onto board", "err", err)
			}
		}
	}
}
