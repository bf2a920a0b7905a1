package web

import (
	"context"
	"time"

	"micboard/app/cluster"
	"micboard/app/model"
)

// Cluster is this instance's place among the instances sharing the
// database: its leases and the list of instances.
type Cluster interface {
	ID() string
	TTL() time.Duration
	Status() cluster.Status
	Instances(ctx context.Context) ([]model.Instance, error)
}

// AttachCluster hands the web side the instance's lease keeper, for
// /readyz, /metrics and the instances page and API. Call before Serve.
func (s *Server) AttachCluster(c Cluster) { s.cluster = c }

// AttachRelayStats sets what reports the board relay's counts, for
// /metrics. Call before Serve.
func (s *Server) AttachRelayStats(fn func() cluster.RelayStats) { s.relayStats = fn }
