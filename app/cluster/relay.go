package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"micboard/app/live"
	"micboard/app/store"
)

const (
	// boardChannel carries board changes between instances.
	boardChannel = "micboard_board"
	// maxPayload keeps each notification under PostgreSQL's 8,000-byte
	// payload limit, with room for the envelope.
	maxPayload = 7900
)

// RelayOptions build a Relay.
type RelayOptions struct {
	Store  *store.Store // the database itself
	Board  *live.Board
	Origin string // this instance's id: its own notifications are skipped
	// Owns reports the receivers this instance watches: only their changes
	// are sent (the others arrived from their owners).
	Owns func(receiverID int64) bool
	// Alone, when set, reports that no other instance is alive: nothing is
	// sent then, so one instance on its own pays nothing for the relay. A
	// notification from another instance (its start asks for the full
	// board) counts as company at once.
	Alone func() bool
	// Every is how often changes are sent (default 100 ms); MeterEvery the
	// least time between two meter samples of one channel (default 250 ms:
	// at most four a second).
	Every, MeterEvery time.Duration
	Logger            *slog.Logger
}

// Relay sends the board changes of the receivers this instance watches to
// the other instances, and applies theirs to this board, so every
// instance's pages, streams and API show every channel.
type Relay struct {
	o   RelayOptions
	log *slog.Logger

	resync chan struct{}
	stats  relayStats
	heard  atomic.Int64 // unix nanos of the last notification from another instance
}

// company is how long a notification from another instance counts as
// proof that someone listens, whatever the keeper last counted.
const company = 30 * time.Second

// lonely reports that nobody else would read what the relay sends.
func (r *Relay) lonely() bool {
	if r.o.Alone == nil || !r.o.Alone() {
		return false
	}
	return time.Since(time.Unix(0, r.heard.Load())) > company
}

// NewRelay returns a Relay; Run sends, Attach receives.
func NewRelay(o RelayOptions) *Relay {
	if o.Every <= 0 {
		o.Every = 100 * time.Millisecond
	}
	if o.MeterEvery <= 0 {
		o.MeterEvery = 250 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Relay{o: o, log: o.Logger, resync: make(chan struct{}, 1)}
}

// envelope is one notification: who sent it and what.
type envelope struct {
	Origin string `json:"o"`
	// Resync asks every instance to send the full state of what it
	// watches (an instance that just started or lost notifications).
	Resync bool              `json:"resync,omitempty"`
	Tiles  []json.RawMessage `json:"t,omitempty"`
}

// Attach registers the relay's handlers on the listener.
func (r *Relay) Attach(l *Listener) {
	l.Handle(boardChannel, r.receive)
}

// AskResync asks the other instances for their full state.
func (r *Relay) AskResync(ctx context.Context) {
	b, _ := json.Marshal(envelope{Origin: r.o.Origin, Resync: true})
	if err := r.notify(ctx, []string{string(b)}); err != nil && ctx.Err() == nil {
		r.log.Warn("cluster: ask the other instances for their board", "err", err)
	}
}

// receive applies another instance's notification.
func (r *Relay) receive(ctx context.Context, payload string) {
	var env struct {
		Origin string        `json:"o"`
		Resync bool          `json:"resync"`
		Tiles  []live.Remote `json:"t"`
	}
	if err := json.Unmarshal([]byte(payload), &env); err != nil {
		r.log.Warn("cluster: a board notification could not be read; ignored", "err", err, "bytes", len(payload))
		return
	}
	if env.Origin == r.o.Origin {
		return
	}
	r.heard.Store(time.Now().UnixNano())
	if env.Resync {
		poke(r.resync)
		return
	}
	r.stats.received.Add(int64(len(env.Tiles)))
	unknown := r.o.Board.ApplyRemote(env.Tiles)
	if len(unknown) == 0 {
		return
	}
	// Receivers registered elsewhere a moment ago: load them, then apply.
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for _, id := range unknown {
		if err := r.o.Board.LoadReceiver(lctx, r.o.Store, id); err != nil {
			r.log.Warn("cluster: load a receiver another instance watches", "receiver", id, "err", err)
		}
	}
	r.o.Board.ApplyRemote(env.Tiles)
}

// Run sends this instance's changes until ctx ends.
func (r *Relay) Run(ctx context.Context) {
	sub := r.o.Board.Subscribe()
	defer sub.Close()
	tk := time.NewTicker(r.o.Every)
	defer tk.Stop()
	pending := map[int64]live.Change{}
	lastMeter := map[int64]time.Time{}
	failing := false
	full := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.resync:
			full = true
			continue
		case <-tk.C:
		}
		taken := sub.Take()
		if r.lonely() {
			// Nobody to tell: forget, and send the full board when someone
			// starts (it asks for it).
			clear(pending)
			continue
		}
		for id, c := range taken {
			pending[id] |= c
		}
		if full {
			// Everything this instance watches, as state.
			for _, t := range r.o.Board.Tiles() {
				pending[t.ChannelID] |= live.ChangeState
			}
			full = false
		}
		if len(pending) == 0 {
			continue
		}
		now := time.Now()
		ids := make([]int64, 0, len(pending))
		for id := range pending {
			ids = append(ids, id)
		}
		var items []json.RawMessage
		tiles := r.o.Board.TilesByID(ids)
		onBoard := make(map[int64]bool, len(tiles))
		for i := range tiles {
			t := &tiles[i]
			onBoard[t.ChannelID] = true
			c := pending[t.ChannelID]
			if !r.o.Owns(t.ReceiverID) {
				delete(pending, t.ChannelID)
				continue
			}
			state := c&live.ChangeState != 0
			if !state && now.Sub(lastMeter[t.ChannelID]) < r.o.MeterEvery {
				continue // kept pending: sent at the next allowed moment
			}
			b, err := json.Marshal(live.RemoteOf(t, state))
			if err != nil {
				continue
			}
			items = append(items, b)
			lastMeter[t.ChannelID] = now
			delete(pending, t.ChannelID)
		}
		for id := range pending {
			if !onBoard[id] {
				delete(pending, id) // taken off the board
				delete(lastMeter, id)
			}
		}
		if len(items) == 0 {
			continue
		}
		payloads := r.batch(items)
		err := r.notify(ctx, payloads)
		switch {
		case err != nil && ctx.Err() == nil:
			if !failing {
				r.log.Warn("cluster: send board changes to the other instances; sending the full board when the database answers", "err", err)
			}
			failing = true
		case err == nil && failing:
			failing, full = false, true
		case err == nil:
			r.stats.sent.Add(int64(len(items)))
			r.stats.payloads.Add(int64(len(payloads)))
		}
	}
}

// batch packs encoded tiles into envelopes under maxPayload bytes each.
func (r *Relay) batch(items []json.RawMessage) []string {
	head := `{"o":` + quote(r.o.Origin) + `,"t":[`
	var out []string
	var buf bytes.Buffer
	n := 0
	flush := func() {
		if n == 0 {
			return
		}
		buf.WriteString("]}")
		out = append(out, buf.String())
		buf.Reset()
		n = 0
	}
	for _, it := range items {
		if len(head)+len(it)+2 > maxPayload {
			r.log.Warn("cluster: a channel's state is too large to relay; skipped", "bytes", len(it))
			continue
		}
		if n > 0 && buf.Len()+1+len(it)+2 > maxPayload {
			flush()
		}
		if n == 0 {
			buf.WriteString(head)
		} else {
			buf.WriteByte(',')
		}
		buf.Write(it)
		n++
	}
	flush()
	return out
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// notifyTimeout bounds one send; a later tick sends again.
const notifyTimeout = 3 * time.Second

// notify sends payloads on the board channel in one statement: they are
// delivered in order, together.
func (r *Relay) notify(ctx context.Context, payloads []string) error {
	return notifyAll(ctx, r.o.Store, boardChannel, payloads)
}

// notifyAll sends payloads on a channel in one statement, bounded by
// notifyTimeout; only placeholders are written into the SQL text.
func notifyAll(ctx context.Context, st *store.Store, channel string, payloads []string) error {
	if len(payloads) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	var q strings.Builder
	args := make([]any, 0, 2*len(payloads))
	q.WriteString("SELECT ")
	for i, p := range payloads {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("pg_notify(?, ?)")
		args = append(args, channel, p)
	}
	_, err := st.DB().ExecContext(ctx, q.String(), args...)
	return err
}
