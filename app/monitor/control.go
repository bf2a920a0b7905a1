package monitor

import "context"

// Reconnect drops the sessions of the given receivers and starts them
// again at once, without waiting for a dead-link timeout. It returns how
// many receivers were being watched; the others are left alone.
func (m *Manager) Reconnect(ctx context.Context, receiverIDs ...int64) (int, error) {
	m.mu.Lock()
	var stopped []*supervisor
	for _, id := range receiverIDs {
		if s := m.sups[id]; s != nil {
			s.cancel()
			delete(m.sups, id)
			stopped = append(stopped, s)
		}
	}
	m.mu.Unlock()
	for _, s := range stopped {
		<-s.done
	}
	if len(stopped) == 0 {
		return 0, nil
	}
	return len(stopped), m.Sync(ctx)
}

// IsWatching reports whether a receiver has a supervisor.
func (m *Manager) IsWatching(receiverID int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sups[receiverID] != nil
}
