package cluster

import "sync/atomic"

// relayStats count what the relay moved, for metrics and the bench.
type relayStats struct {
	sent, received, payloads atomic.Int64
}

// RelayStats is what a relay has sent and received since start.
type RelayStats struct {
	Sent, Received, Payloads int64
}

// Stats reports the relay's counts.
func (r *Relay) Stats() RelayStats {
	return RelayStats{Sent: r.stats.sent.Load(), Received: r.stats.received.Load(), Payloads: r.stats.payloads.Load()}
}
