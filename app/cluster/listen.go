package cluster

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// poke signals c without waiting: a signal already pending carries this one.
func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Listener holds one database connection that LISTENs on the cluster's
// channels and hands each notification to its channel's handler. When the
// connection drops it connects again with backoff and calls Reconnected,
// since notifications sent meanwhile were lost.
type Listener struct {
	DB       *sql.DB
	Logger   *slog.Logger
	handlers map[string]func(ctx context.Context, payload string)
	// Connected runs after every (re)connection, once listening.
	Connected func(ctx context.Context, first bool)
}

// Handle registers fn for a channel; call before Run. Handlers run on the
// listener's goroutine, one at a time, and must be quick.
func (l *Listener) Handle(channel string, fn func(ctx context.Context, payload string)) {
	if l.handlers == nil {
		l.handlers = map[string]func(context.Context, string){}
	}
	l.handlers[channel] = fn
}

// Run listens until ctx ends.
func (l *Listener) Run(ctx context.Context) {
	log := l.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	first := true
	delay := 250 * time.Millisecond
	for ctx.Err() == nil {
		err := l.listen(ctx, first)
		if ctx.Err() != nil {
			return
		}
		first = false
		log.Warn("cluster: listening for other instances failed; connecting again", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

func (l *Listener) listen(ctx context.Context, first bool) error {
	conn, err := l.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("take a connection to listen on: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listen: the driver connection is %T, not pgx", dc)
		}
		pc := sc.Conn()
		// The connection goes back to the pool afterwards: stop listening
		// there, whatever happened.
		defer func() {
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			_, _ = pc.Exec(uctx, "UNLISTEN *")
		}()
		for ch := range l.handlers {
			if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
				return fmt.Errorf("listen on %s: %w", ch, err)
			}
		}
		if l.Connected != nil {
			l.Connected(ctx, first)
		}
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return fmt.Errorf("wait for notifications: %w", err)
			}
			if fn := l.handlers[n.Channel]; fn != nil {
				fn(ctx, n.Payload)
			}
		}
	})
}
