package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"micboard/app/model"
)

// The live board is in memory and keeps running while PostgreSQL does not
// answer; the few lookups a board page makes besides it (locations, groups,
// the display a kiosk token belongs to) remember their last good answer, so
// pages keep working from it through a database outage. Without one, the
// page answers 503 with errStoreUnavailable, never a bare 500.

// lastGoodAnswers holds the remembered answers of one server.
type lastGoodAnswers struct {
	activeLocations lastGood[[]*model.Location]
	allLocations    lastGood[[]*model.Location]
	groups          lastGood[[]*model.BoardGroup]
	group           lastGood[*model.BoardGroup] // by number
	kiosk           lastGood[*model.Kiosk]      // by token hash
	receiver        lastGood[*model.Receiver]   // by id
	assignment      lastGood[*model.Assignment] // by channel id
	user            lastGood[*model.User]       // a session's user, by id

	mu   sync.Mutex
	down bool // the last lookup failed; logged once per outage
}

// lastGood is the last answer of one lookup, per key.
type lastGood[T any] struct {
	mu   sync.Mutex
	vals map[string]T
}

// answer runs load; its answer is remembered and returned. An error a user
// can act on (not found, revoked: a 4xx) forgets the key and is returned
// as it is. Any other error means the database is failing: the last good
// answer is returned instead, or errStoreUnavailable when there is none.
func (l *lastGood[T]) answer(ctx context.Context, s *Server, what, key string, load func(context.Context) (T, error)) (T, error) {
	v, err := load(ctx)
	if err == nil {
		l.mu.Lock()
		if l.vals == nil {
			l.vals = map[string]T{}
		}
		l.vals[key] = v
		l.mu.Unlock()
		s.databaseAnswered(ctx)
		return v, nil
	}
	if status, _ := statusOf(err); status < 500 {
		l.mu.Lock()
		delete(l.vals, key)
		l.mu.Unlock()
		return v, err
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return v, err // the client left; nothing failed
	}
	s.databaseFailed(ctx, err)
	l.mu.Lock()
	old, ok := l.vals[key]
	l.mu.Unlock()
	if ok {
		return old, nil
	}
	var zero T
	return zero, fmt.Errorf("%s: %w (%w)", what, errStoreUnavailable, err)
}

// databaseFailed logs the start of an outage once, not on every page.
func (s *Server) databaseFailed(ctx context.Context, err error) {
	a := &s.lastGood
	a.mu.Lock()
	first := !a.down
	a.down = true
	a.mu.Unlock()
	if first {
		s.log.WarnContext(ctx, "database not answering; pages answer from their last good lookups", "err", err)
	}
}

func (s *Server) databaseAnswered(ctx context.Context) {
	a := &s.lastGood
	a.mu.Lock()
	was := a.down
	a.down = false
	a.mu.Unlock()
	if was {
		s.log.InfoContext(ctx, "database answers again")
	}
}

// activeLocations lists the active locations, for the board's menu.
func (s *Server) activeLocations(ctx context.Context) ([]*model.Location, error) {
	return s.lastGood.activeLocations.answer(ctx, s, "list active locations", "", func(ctx context.Context) ([]*model.Location, error) {
		return s.store.Locations.Query().Active().List(ctx)
	})
}

// allLocations lists every location, to resolve a view's location subtree.
func (s *Server) allLocations(ctx context.Context) ([]*model.Location, error) {
	return s.lastGood.allLocations.answer(ctx, s, "list locations", "", func(ctx context.Context) ([]*model.Location, error) {
		return s.store.Locations.Query().List(ctx)
	})
}

// boardGroups lists the saved groups, for the board's menu.
func (s *Server) boardGroups(ctx context.Context) ([]*model.BoardGroup, error) {
	return s.lastGood.groups.answer(ctx, s, "list board groups", "", func(ctx context.Context) ([]*model.BoardGroup, error) {
		return s.store.BoardGroups.List(ctx)
	})
}

// boardGroup finds saved group n (1–9).
func (s *Server) boardGroup(ctx context.Context, n int) (*model.BoardGroup, error) {
	return s.lastGood.group.answer(ctx, s, "find board group", strconv.Itoa(n), func(ctx context.Context) (*model.BoardGroup, error) {
		return s.store.BoardGroups.ByNumber(ctx, n)
	})
}

// authenticateKiosk finds the display a token belongs to
// (service.Kiosks.Authenticate). Only tokens that were valid are
// remembered, by their hash; a revoked or unknown one is forgotten.
func (s *Server) authenticateKiosk(ctx context.Context, token string) (*model.Kiosk, error) {
	sum := sha256.Sum256([]byte(token))
	return s.lastGood.kiosk.answer(ctx, s, "find kiosk by token", hex.EncodeToString(sum[:]), func(ctx context.Context) (*model.Kiosk, error) {
		return s.kiosks.Authenticate(ctx, token)
	})
}

// receiver finds a receiver with its connection, for the channel panel.
func (s *Server) receiver(ctx context.Context, id int64) (*model.Receiver, error) {
	return s.lastGood.receiver.answer(ctx, s, "get receiver", strconv.FormatInt(id, 10), func(ctx context.Context) (*model.Receiver, error) {
		return s.store.Receivers.Get(ctx, id)
	})
}

// channelAssignment finds who holds a channel's transmitter now.
func (s *Server) channelAssignment(ctx context.Context, channelID int64) (*model.Assignment, error) {
	return s.lastGood.assignment.answer(ctx, s, "find channel assignment", strconv.FormatInt(channelID, 10), func(ctx context.Context) (*model.Assignment, error) {
		return s.store.Assignments.ActiveForChannel(ctx, channelID)
	})
}
