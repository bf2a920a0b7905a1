package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"micboard/app/store"
)

// Channels of the device commands one instance asks of another.
const (
	commandsChannel = "micboard_commands"
	repliesChannel  = "micboard_replies"
)

// LocalDevices is what this instance's monitor does with the receivers it
// watches (app/monitor's Manager).
type LocalDevices interface {
	Sync(ctx context.Context) error
	Reconnect(ctx context.Context, receiverIDs ...int64) (int, error)
	SetChannelName(ctx context.Context, receiverID int64, channel int, name string) error
}

// ErrNoOwner: no live instance watches the receiver just now (all are
// starting, or it is being handed over); try again in a moment.
var ErrNoOwner = errors.New("no instance watches this receiver just now")

// Devices lets an admin on any instance act on any receiver: a command for
// a receiver another instance watches goes to that instance over NOTIFY
// and its answer comes back the same way.
type Devices struct {
	Local  LocalDevices
	Keeper *Keeper
	Store  *store.Store
	Origin string // this process's name, for the answers
	Logger *slog.Logger
	// Timeout bounds the wait for another instance's answer (default 5 s).
	Timeout time.Duration

	mu      sync.Mutex
	seq     uint64
	waiting map[string]chan reply
}

// command is one request; To is the instance that must run it.
type command struct {
	ID   string  `json:"id"`
	To   string  `json:"to"`
	From string  `json:"from"`
	Op   string  `json:"op"`
	Rx   int64   `json:"rx,omitempty"`
	Ch   int     `json:"ch,omitempty"`
	Name string  `json:"name,omitempty"`
	IDs  []int64 `json:"ids,omitempty"`
}

type reply struct {
	ID  string `json:"id"`
	To  string `json:"to"`
	N   int    `json:"n"`
	Err string `json:"err,omitempty"`
}

// Attach registers the command and answer handlers on the listener.
func (d *Devices) Attach(l *Listener) {
	l.Handle(commandsChannel, func(ctx context.Context, payload string) {
		var c command
		if err := json.Unmarshal([]byte(payload), &c); err != nil {
			d.log().Warn("cluster: a device command could not be read; ignored", "bytes", len(payload))
			return
		}
		if c.To != d.Keeper.ID() {
			return
		}
		// A device write may take seconds: never on the listener.
		go d.run(context.WithoutCancel(ctx), c)
	})
	l.Handle(repliesChannel, func(_ context.Context, payload string) {
		var r reply
		if err := json.Unmarshal([]byte(payload), &r); err != nil || r.To != d.Origin {
			return
		}
		d.mu.Lock()
		ch := d.waiting[r.ID]
		delete(d.waiting, r.ID)
		d.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	})
}

func (d *Devices) log() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// run carries out another instance's command here and answers it.
func (d *Devices) run(ctx context.Context, c command) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	r := reply{ID: c.ID, To: c.From}
	var err error
	switch c.Op {
	case "rename":
		err = d.Local.SetChannelName(ctx, c.Rx, c.Ch, c.Name)
	case "reconnect":
		r.N, err = d.Local.Reconnect(ctx, c.IDs...)
	default:
		err = fmt.Errorf("unknown command %q", c.Op)
	}
	if err != nil {
		r.Err = err.Error()
	}
	b, _ := json.Marshal(r)
	if _, err := d.Store.DB().ExecContext(ctx, "SELECT pg_notify(?, ?)", repliesChannel, string(b)); err != nil {
		d.log().Warn("cluster: answer another instance's device command", "op", c.Op, "err", err)
	}
}

func (d *Devices) timeout() time.Duration {
	if d.Timeout <= 0 {
		return 5 * time.Second
	}
	return d.Timeout
}

// ask sends a command to the instance `to` and waits for its answer.
func (d *Devices) ask(ctx context.Context, to string, c command) (reply, error) {
	d.mu.Lock()
	d.seq++
	c.ID = fmt.Sprintf("%s-%d", d.Origin, d.seq)
	if d.waiting == nil {
		d.waiting = map[string]chan reply{}
	}
	ch := make(chan reply, 1)
	d.waiting[c.ID] = ch
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.waiting, c.ID)
		d.mu.Unlock()
	}()
	c.To, c.From = to, d.Origin
	b, err := json.Marshal(c)
	if err != nil {
		return reply{}, err
	}
	if _, err := d.Store.DB().ExecContext(ctx, "SELECT pg_notify(?, ?)", commandsChannel, string(b)); err != nil {
		return reply{}, fmt.Errorf("ask instance %s: %w", to, err)
	}
	t := time.NewTimer(d.timeout())
	defer t.Stop()
	select {
	case r := <-ch:
		return r, nil
	case <-t.C:
		return reply{}, fmt.Errorf("instance %s, which watches the receiver, did not answer within %s", to, d.timeout())
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
}

// Sync makes this instance's monitor read the receivers again and its
// keeper claim a new one at once; the others follow within their own poll,
// and their boards at once (Reloader).
func (d *Devices) Sync(ctx context.Context) error {
	d.Keeper.Wake()
	return d.Local.Sync(ctx)
}

// SetChannelName writes a channel's name into its receiver, through
// whichever instance watches it.
func (d *Devices) SetChannelName(ctx context.Context, receiverID int64, channel int, name string) error {
	if d.Keeper.Owns(receiverID) {
		return d.Local.SetChannelName(ctx, receiverID, channel, name)
	}
	owners, err := d.Store.Leases.Owners(ctx)
	if err != nil {
		return fmt.Errorf("rename channel %d of receiver %d: %w", channel, receiverID, err)
	}
	to, ok := owners[receiverID]
	if !ok {
		return fmt.Errorf("rename channel %d of receiver %d: %w", channel, receiverID, ErrNoOwner)
	}
	r, err := d.ask(ctx, to, command{Op: "rename", Rx: receiverID, Ch: channel, Name: name})
	if err != nil {
		return fmt.Errorf("rename channel %d of receiver %d: %w", channel, receiverID, err)
	}
	if r.Err != "" {
		return errors.New(r.Err)
	}
	return nil
}

// Reconnect drops and restarts the sessions of the receivers, each on the
// instance that watches it; it returns how many were being watched.
func (d *Devices) Reconnect(ctx context.Context, receiverIDs ...int64) (int, error) {
	var mine []int64
	remote := map[string][]int64{}
	var owners map[int64]string
	for _, id := range receiverIDs {
		if d.Keeper.Owns(id) {
			mine = append(mine, id)
			continue
		}
		if owners == nil {
			var err error
			if owners, err = d.Store.Leases.Owners(ctx); err != nil {
				return 0, fmt.Errorf("reconnect receivers: %w", err)
			}
		}
		if to, ok := owners[id]; ok {
			remote[to] = append(remote[to], id)
		}
	}
	n := 0
	var errs []error
	if len(mine) > 0 {
		k, err := d.Local.Reconnect(ctx, mine...)
		n += k
		errs = append(errs, err)
	}
	for to, ids := range remote {
		r, err := d.ask(ctx, to, command{Op: "reconnect", IDs: ids})
		if err == nil && r.Err != "" {
			err = errors.New(r.Err)
		}
		n += r.N
		errs = append(errs, err)
	}
	return n, errors.Join(errs...)
}
