package service

import (
	"context"
	"fmt"
	"time"

	"micboard/app/model"
	"micboard/app/store"
)

// Connection bulk actions (reconnect is BulkReconnect, shared with the
// receivers table).
const (
	ConnHealthCheck ReceiverAction = "health_check"
	ConnResetErrors ReceiverAction = "reset_errors"
)

// ConnectionActions lists the connection bulk actions in the order forms
// offer them.
var ConnectionActions = []ReceiverAction{ConnHealthCheck, ConnResetErrors, BulkReconnect}

// BulkConnections runs a health check or an error reset on the links of
// many receivers in one transaction with its audit row. A health check
// moves a link that claims to be connected but has been silent longer than
// silentAfter to disconnected (its receiver offline); healthy links and
// links already known to be down are reported, unchanged, with the reason.
func (s *Connections) BulkConnections(ctx context.Context, actor Actor, action ReceiverAction, ids []int64, silentAfter time.Duration) (*ReceiverBulkResult, error) {
	ids = distinctIDs(ids)
	v := validator{}
	v.check(action == ConnHealthCheck || action == ConnResetErrors, "action", "choose an action from the list")
	v.check(len(ids) > 0, "ids", "tick at least one connection, or choose all that match the filter")
	v.check(len(ids) <= MaxBulkRows, "ids", fmt.Sprintf("at most %d connections at once: narrow the filter", MaxBulkRows))
	if err := v.err(); err != nil {
		return nil, err
	}
	res := &ReceiverBulkResult{Action: action}
	now := s.now()
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		*res = ReceiverBulkResult{Action: action}
		rxs, err := tx.Receivers.Lock(ctx, ids...)
		if err != nil {
			return err
		}
		byID := map[int64]*model.Receiver{}
		for _, rx := range rxs {
			byID[rx.ID] = rx
		}
		var ok []int64
		for _, id := range ids {
			rx := byID[id]
			if rx == nil {
				res.Refused = append(res.Refused, ReceiverBulkRow{ID: id, Name: fmt.Sprintf("#%d", id), Reason: "no such receiver"})
				continue
			}
			row := ReceiverBulkRow{ID: id, Name: receiverLabel(rx)}
			c, err := tx.Connections.ByReceiver(ctx, id)
			if err != nil {
				row.Reason = "no link recorded yet"
				res.Refused = append(res.Refused, row)
				continue
			}
			row.Reason = connRefusal(action, c, now, silentAfter)
			if row.Reason != "" {
				res.Refused = append(res.Refused, row)
				continue
			}
			res.Changed = append(res.Changed, row)
			ok = append(ok, id)
		}
		if len(ok) == 0 {
			return nil
		}
		switch action {
		case ConnResetErrors:
			if _, err := tx.Connections.ResetErrors(ctx, ok...); err != nil {
				return err
			}
		case ConnHealthCheck:
			if _, err := tx.Connections.SetStatus(ctx, model.ConnDisconnected, ok...); err != nil {
				return err
			}
			for _, id := range ok {
				if _, err := tx.Receivers.SetOnline(ctx, id, false, now); err != nil {
					return err
				}
			}
		}
		return NewAudit(tx).Record(ctx, actor, Change{
			Action: "connection." + string(action), ObjectKind: "receiver", ObjectIDs: ok, Summary: bulkSummary(res, nil),
		})
	})
	if err != nil {
		return nil, fmt.Errorf("bulk %s on %d connections: %w", action, len(ids), err)
	}
	return res, nil
}

// connRefusal says why a connection action leaves c alone ("" when it
// applies).
func connRefusal(a ReceiverAction, c *model.Connection, now time.Time, silentAfter time.Duration) string {
	switch a {
	case ConnResetErrors:
		if c.ErrorCount == 0 && c.ErrorMessage == "" {
			return "no errors to reset"
		}
	case ConnHealthCheck:
		switch c.Status {
		case model.ConnStopped:
			return "not watched (inactive)"
		case model.ConnError, model.ConnDisconnected:
			msg := "needs attention: " + string(c.Status)
			if c.ErrorMessage != "" {
				msg += " (" + c.ErrorMessage + ")"
			}
			return msg
		case model.ConnConnecting:
			return "connecting"
		}
		last := c.LastMessageAt
		if last == nil {
			last = c.ConnectedAt
		}
		if last != nil && now.Sub(*last) <= silentAfter {
			return fmt.Sprintf("healthy: last message %s ago", now.Sub(*last).Round(time.Second))
		}
	}
	return ""
}
