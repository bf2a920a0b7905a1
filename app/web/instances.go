package web

import (
	"context"
	"fmt"
	"time"

	"micboard/app/model"
)

// What the instances page and API call an instance, from its heartbeat.
const (
	instanceLive     = "live"     // beat within the lease time and is not stopping
	instanceStopping = "stopping" // handing its receivers over
	instanceGone     = "gone"     // silent for longer than the lease time: dead or cut off
)

// instanceState says whether inst is live, stopping or gone, by its
// heartbeat's age on the database's clock against the lease time ttl. An
// instance that went silent is gone whatever it said last.
func instanceState(inst model.Instance, ttl time.Duration) string {
	switch {
	case inst.HeartbeatAge >= ttl:
		return instanceGone
	case inst.Stopping:
		return instanceStopping
	}
	return instanceLive
}

// instanceRow is one instance as the page and the API show it.
type instanceRow struct {
	model.Instance
	State   string
	Current bool // the instance answering this request
}

// instancesView is every instance sharing the database, with totals.
type instancesView struct {
	Rows []instanceRow
	// Live counts the live instances; Watched the receivers they hold
	// leases on, all instances together.
	Live, Watched int
	// Alone: no cluster is attached, so this instance holds no leases.
	Alone bool
}

// instances lists every instance on the database with its state. Without
// a cluster attached the list is empty and Alone is set.
func (s *Server) instances(ctx context.Context) (instancesView, error) {
	if s.cluster == nil {
		return instancesView{Alone: true}, nil
	}
	list, err := s.cluster.Instances(ctx)
	if err != nil {
		return instancesView{}, fmt.Errorf("list instances: %w", err)
	}
	ttl, self := s.cluster.TTL(), s.cluster.ID()
	v := instancesView{Rows: make([]instanceRow, len(list))}
	for i, inst := range list {
		row := instanceRow{Instance: inst, State: instanceState(inst, ttl), Current: inst.ID == self}
		if row.State == instanceLive {
			v.Live++
		}
		v.Watched += inst.Leases
		v.Rows[i] = row
	}
	return v, nil
}

// ageText says how long ago something happened from its age: "2 s ago",
// "4 min ago", "3 h ago", "2 d ago".
func ageText(d time.Duration) string {
	d = max(d, 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d d ago", int(d/(24*time.Hour)))
}
