package service

import (
	"context"
	"fmt"
	"time"

	"micboard/app/model"
	"micboard/app/store"
)

// Connections holds the rules for the health of receiver links.
type Connections struct {
	st  *store.Store
	now func() time.Time
}

// NewConnections returns the connection service.
func NewConnections(st *store.Store) *Connections { return &Connections{st: st, now: time.Now} }

// Heartbeat records that a receiver sent something.
func (s *Connections) Heartbeat(ctx context.Context, receiverID int64) error {
	if err := s.st.Connections.Heartbeat(ctx, receiverID, s.now()); err != nil {
		return fmt.Errorf("heartbeat of receiver %d: %w", receiverID, err)
	}
	return nil
}

// HeartbeatMany records a message from each of several receivers in one
// statement.
func (s *Connections) HeartbeatMany(ctx context.Context, receiverIDs []int64) error {
	if err := s.st.Connections.HeartbeatMany(ctx, receiverIDs, s.now()); err != nil {
		return fmt.Errorf("heartbeat of %d receivers: %w", len(receiverIDs), err)
	}
	return nil
}

// RecordError records a failed link with its reason.
func (s *Connections) RecordError(ctx context.Context, receiverID int64, cause error) error {
	msg := "unknown error"
	if cause != nil {
		msg = cause.Error()
	}
	if len(msg) > 500 {
		msg = msg[:500]
	}
	if err := s.st.Connections.RecordError(ctx, receiverID, msg, s.now()); err != nil {
		return fmt.Errorf("record error of receiver %d: %w", receiverID, err)
	}
	return nil
}

// RecordReconnects counts n attempts that reached a receiver again within
// its grace.
func (s *Connections) RecordReconnects(ctx context.Context, receiverID int64, n int) error {
	if err := s.st.Connections.RecordReconnects(ctx, receiverID, n); err != nil {
		return fmt.Errorf("record %d reconnects of receiver %d: %w", n, receiverID, err)
	}
	return nil
}

// RecordFailedAttempts counts n failed attempts to reach a receiver, with
// the last one's reason.
func (s *Connections) RecordFailedAttempts(ctx context.Context, receiverID int64, n int, reason string) error {
	if err := s.st.Connections.RecordFailedAttempts(ctx, receiverID, n, reason, s.now()); err != nil {
		return fmt.Errorf("record %d failed attempts of receiver %d: %w", n, receiverID, err)
	}
	return nil
}

// RecordReconnect counts an attempt to reach a receiver again.
func (s *Connections) RecordReconnect(ctx context.Context, receiverID int64) error {
	if err := s.st.Connections.RecordReconnect(ctx, receiverID); err != nil {
		return fmt.Errorf("record reconnect of receiver %d: %w", receiverID, err)
	}
	return nil
}

// ResetErrors clears the errors of the given receivers' connections.
func (s *Connections) ResetErrors(ctx context.Context, receiverIDs ...int64) (int, error) {
	if len(receiverIDs) == 0 {
		return 0, nil
	}
	return s.st.Connections.ResetErrors(ctx, receiverIDs...)
}

// HealthCheck lists the links that need attention: in error, disconnected,
// or silent for longer than timeout.
func (s *Connections) HealthCheck(ctx context.Context, timeout time.Duration) ([]*model.Connection, error) {
	return s.st.Connections.Query().Unhealthy(timeout).List(ctx)
}

// CleanupStale moves links that claim to be connected but heard nothing
// within timeout to disconnected, and their receivers offline, in one
// transaction. It returns the receivers it changed.
func (s *Connections) CleanupStale(ctx context.Context, timeout time.Duration) ([]int64, error) {
	var ids []int64
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		var err error
		if ids, err = tx.Connections.MarkStale(ctx, timeout); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.Receivers.SetOnline(ctx, id, false, s.now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clean up stale connections: %w", err)
	}
	return ids, nil
}

// UptimeStats summarises link health across the fleet.
func (s *Connections) UptimeStats(ctx context.Context) (store.UptimeStats, error) {
	return s.st.Connections.Stats(ctx)
}
