package monitor

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"micboard/app/service"
)

// outage is what a supervisor knows of its receiver being unreachable. A
// lost link is declared (board and database say offline) only when it stays
// lost for OfflineGrace, so a reconnect within it is no false alarm. Failed
// reconnects are counted here and written by one writer at a time, so a
// dead rack costs the database a statement per flush rather than per try,
// and a slow database never delays a reconnect. mu guards the fields and is
// never held across a database call; writeMu orders the offline and online
// records, so a late "offline" cannot land after the receiver came back.
type outage struct {
	writeMu  sync.Mutex
	mu       sync.Mutex
	grace    *time.Timer
	gen      uint64 // bumps when the receiver is heard again
	declared bool
	pending  int    // failed tries not yet written
	cause    string // the last one's reason
	writing  bool   // a writer is flushing pending
}

// linkLost is called after every failed session. It declares the receiver
// offline at once when it was never reached or has been silent for
// OfflineGrace already, else when the grace passes without it answering;
// it never waits on the database.
func (m *Manager) linkLost(ctx context.Context, sup *supervisor, log *slog.Logger, cause error, wasOnline bool) {
	o := &sup.outage
	// The grace counts from the last message: a link that died of silence
	// has used it up already.
	left := m.opts.OfflineGrace - time.Since(time.Unix(0, sup.lastMsg.Load()))
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.declared:
		o.pending++
		o.cause = errText(cause)
		if !o.writing {
			o.writing = true
			go m.flushAttempts(ctx, sup, log)
		}
	case o.grace != nil:
		// Written once it is declared, or as reconnects if it comes back.
		o.pending++
		o.cause = errText(cause)
	case wasOnline && left > 0:
		gen := o.gen
		o.grace = time.AfterFunc(left, func() { m.declare(ctx, sup, log, errText(cause), gen) })
	default:
		o.declared = true // taken now, so the next failure only counts
		go m.declare(ctx, sup, log, errText(cause), o.gen)
	}
}

// declare shows the receiver offline and records why, unless it was heard
// again since generation gen.
func (m *Manager) declare(ctx context.Context, sup *supervisor, log *slog.Logger, cause string, gen uint64) {
	o := &sup.outage
	id := sup.tgt.ID
	o.mu.Lock()
	if o.gen != gen {
		o.mu.Unlock()
		return
	}
	o.grace, o.declared = nil, true
	m.board.SetOnline(id, false)
	o.mu.Unlock()

	o.writeMu.Lock()
	o.mu.Lock()
	current := o.gen == gen
	o.mu.Unlock()
	if current {
		if err := m.syncStatus(context.WithoutCancel(ctx), id, false, cause); err != nil {
			log.Warn("record offline", "err", err)
		}
	}
	o.writeMu.Unlock()

	o.mu.Lock()
	defer o.mu.Unlock()
	if current && o.declared && o.pending > 0 && !o.writing {
		o.writing = true
		go m.flushAttempts(ctx, sup, log)
	}
}

// flushAttempts writes the failed tries counted meanwhile, in one statement
// per round, until none are left or the receiver is back.
func (m *Manager) flushAttempts(ctx context.Context, sup *supervisor, log *slog.Logger) {
	o := &sup.outage
	for {
		o.mu.Lock()
		n, cause := o.pending, o.cause
		if n == 0 || !o.declared {
			o.writing = false
			o.mu.Unlock()
			return
		}
		o.pending = 0
		o.mu.Unlock()
		err := m.writeFor(context.WithoutCancel(ctx), []int64{sup.tgt.ID}, func(_ *service.TimedDevices, conns *service.TimedConnections, _ []int64) error {
			return conns.RecordFailedAttempts(context.WithoutCancel(ctx), sup.tgt.ID, n, cause)
		})
		if err != nil {
			log.Warn("record failed reconnects", "tries", n, "err", err)
		}
	}
}

// heardAgain ends a grace (the lost link came back in time) or a declared
// outage; it is called before the receiver is marked online. Tries that
// failed within a grace are recorded as reconnects, not errors.
func (m *Manager) heardAgain(ctx context.Context, sup *supervisor, log *slog.Logger) {
	o := &sup.outage
	o.mu.Lock()
	defer o.mu.Unlock()
	o.gen++ // a declaration still waiting to write now stands down
	if o.grace != nil {
		o.grace.Stop()
		o.grace = nil
	}
	o.declared = false
	if n := o.pending; n > 0 {
		o.pending = 0
		go func() {
			err := m.writeFor(context.WithoutCancel(ctx), []int64{sup.tgt.ID}, func(_ *service.TimedDevices, conns *service.TimedConnections, _ []int64) error {
				return conns.RecordReconnects(context.WithoutCancel(ctx), sup.tgt.ID, n)
			})
			if err != nil {
				log.Warn("record reconnects", "tries", n, "err", err)
			}
		}()
	}
}
