package alert

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"micboard/app/model"
	"micboard/app/store"
)

// Sink delivers alert events somewhere: one webhook endpoint, the mail
// server, the MQTT broker.
type Sink interface {
	// Kind is the delivery record's sink: webhook, email or mqtt.
	Kind() string
	// Target names the destination in the delivery record (never a secret).
	Target() string
	// Wants filters events (a webhook may take only some kinds).
	Wants(Event) bool
	// Deliver makes one attempt.
	Deliver(ctx context.Context, ev Event) error
}

// NotingSink is a sink whose attempt may leave a note for the delivery
// record even when it succeeds (the mail sink names whom quiet hours
// skipped).
type NotingSink interface {
	Sink
	DeliverNoted(ctx context.Context, ev Event) (note string, err error)
}

// DispatchOptions tune a Dispatcher.
type DispatchOptions struct {
	Store  *store.Store // nil: attempts are not recorded
	Logger *slog.Logger
	// Queue is how many events one sink may have waiting (default 256);
	// past it new events for that sink are dropped and counted.
	Queue int
	// Attempts is how often an event is tried (default 5), waiting
	// RetryBase, then twice as long each time (default 1 s), up to RetryMax
	// (default 1 min); Timeout bounds one attempt (default 10 s).
	Attempts  int
	RetryBase time.Duration
	RetryMax  time.Duration
	Timeout   time.Duration
}

// Dispatcher hands every event to every sink through a bounded queue of
// its own, worked by a goroutine of its own: a slow or unreachable sink
// holds up only its own queue, never another sink, the rules or the board.
type Dispatcher struct {
	o   DispatchOptions
	log *slog.Logger

	mu      sync.Mutex
	workers map[string]*worker // by id
	ctx     context.Context
	wg      sync.WaitGroup
	dropped atomic.Int64
}

type worker struct {
	sink  Sink
	queue chan Event
	stop  context.CancelFunc
}

// NewDispatcher returns a dispatcher; Start runs it.
func NewDispatcher(o DispatchOptions) *Dispatcher {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Queue <= 0 {
		o.Queue = 256
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.RetryBase <= 0 {
		o.RetryBase = time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	return &Dispatcher{o: o, log: o.Logger, workers: map[string]*worker{}, ctx: context.Background()}
}

// Start binds the dispatcher's workers to ctx: they stop when it ends.
func (d *Dispatcher) Start(ctx context.Context) {
	d.mu.Lock()
	d.ctx = ctx
	d.mu.Unlock()
}

// Wait waits for every worker to stop (after the Start context ended).
func (d *Dispatcher) Wait() { d.wg.Wait() }

// Set makes the sinks under ids exactly these: new ones start, missing
// ones stop (their queue is dropped), kept ones keep their queue.
func (d *Dispatcher) Set(sinks map[string]Sink) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, w := range d.workers {
		if _, ok := sinks[id]; !ok {
			w.stop()
			delete(d.workers, id)
		}
	}
	for id, s := range sinks {
		if _, ok := d.workers[id]; ok {
			continue
		}
		ctx, cancel := context.WithCancel(d.ctx)
		w := &worker{sink: s, queue: make(chan Event, d.o.Queue), stop: cancel}
		d.workers[id] = w
		d.wg.Add(1)
		go func() { defer d.wg.Done(); d.work(ctx, w) }()
	}
}

// Add starts one more sink under id (replacing none).
func (d *Dispatcher) Add(id string, s Sink) {
	d.mu.Lock()
	cur := make(map[string]Sink, len(d.workers)+1)
	for k, w := range d.workers {
		cur[k] = w.sink
	}
	d.mu.Unlock()
	cur[id] = s
	d.Set(cur)
}

// Publish queues an event for every sink that wants it, never waiting.
func (d *Dispatcher) Publish(ev Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, w := range d.workers {
		if !w.sink.Wants(ev) {
			continue
		}
		select {
		case w.queue <- ev:
		default:
			d.dropped.Add(1)
			d.log.Warn("alert delivery queue full: event dropped", "sink", w.sink.Kind(), "target", w.sink.Target(), "alert", ev.Alert.ID, "event", ev.Event)
		}
	}
}

// Send delivers one event to one sink outside the queues (an escalation to
// a chosen person): retried and recorded like any other, on a goroutine of
// its own, so the caller never waits.
func (d *Dispatcher) Send(s Sink, ev Event) {
	d.mu.Lock()
	ctx := d.ctx
	d.wg.Add(1)
	d.mu.Unlock()
	go func() { defer d.wg.Done(); d.deliver(ctx, s, ev) }()
}

// Targets lists the destinations the dispatcher delivers to now, as the
// delivery records name them, sorted.
func (d *Dispatcher) Targets() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.workers))
	for _, w := range d.workers {
		out = append(out, w.sink.Target())
	}
	sort.Strings(out)
	return out
}

// Dropped counts events dropped because a sink's queue was full.
func (d *Dispatcher) Dropped() int64 { return d.dropped.Load() }

func (d *Dispatcher) work(ctx context.Context, w *worker) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-w.queue:
			d.deliver(ctx, w.sink, ev)
		}
	}
}

// deliver tries an event until it goes through, the attempts run out or
// the dispatcher stops, recording every attempt.
func (d *Dispatcher) deliver(ctx context.Context, s Sink, ev Event) {
	wait := d.o.RetryBase
	for attempt := 1; attempt <= d.o.Attempts; attempt++ {
		actx, cancel := context.WithTimeout(ctx, d.o.Timeout)
		var note string
		var err error
		if ns, ok := s.(NotingSink); ok {
			note, err = ns.DeliverNoted(actx, ev)
		} else {
			err = s.Deliver(actx, ev)
		}
		cancel()
		d.record(ctx, s, ev, attempt, note, err)
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			return
		}
		var perm permanent
		if errors.As(err, &perm) || attempt == d.o.Attempts {
			d.log.Warn("alert delivery failed", "sink", s.Kind(), "target", s.Target(), "alert", ev.Alert.ID, "event", ev.Event, "attempts", attempt, "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, d.o.RetryMax)
	}
}

func (d *Dispatcher) record(ctx context.Context, s Sink, ev Event, attempt int, note string, err error) {
	if d.o.Store == nil || ev.Alert.ID == 0 {
		return
	}
	rec := &model.AlertDelivery{AlertID: ev.Alert.ID, Event: ev.Event, Sink: s.Kind(), Target: s.Target(), Attempt: attempt, OK: err == nil, Detail: note}
	if err != nil {
		rec.Detail = strings.TrimPrefix(note+"; "+err.Error(), "; ")
	}
	if len(rec.Detail) > 500 {
		rec.Detail = rec.Detail[:500]
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := d.o.Store.AlertDeliveries.Add(ctx, rec); err != nil {
		d.log.Warn("record alert delivery", "alert", ev.Alert.ID, "err", err)
	}
}

// permanent marks an error that retrying cannot fix (a 4xx answer).
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }
