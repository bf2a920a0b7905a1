package model

import (
	"time"

	"github.com/uptrace/bun"
)

// Instance is one running `micboard serve` on the shared database: it
// renews HeartbeatAt while it lives and writes how much it carries, so any
// instance can list them all.
type Instance struct {
	bun.BaseModel `bun:"table:instances,alias:inst"`

	ID            string    `bun:"id,pk"`
	Host          string    `bun:"host,notnull"`
	Addr          string    `bun:"addr,notnull"`
	Version       string    `bun:"version,notnull"`
	SchemaVersion string    `bun:"schema_version,notnull"`
	StartedAt     time.Time `bun:"started_at,notnull,default:current_timestamp"`
	HeartbeatAt   time.Time `bun:"heartbeat_at,notnull,default:current_timestamp"`
	// Stopping is set when the instance was asked to stop and is handing
	// its receivers over.
	Stopping   bool `bun:"stopping,notnull"`
	Receivers  int  `bun:"receivers,notnull"`
	SSEClients int  `bun:"sse_clients,notnull"`

	// HeartbeatAge is filled by the list query from the database's clock.
	HeartbeatAge time.Duration `bun:"-"`
	// Leases is filled by the list query: receivers it holds unexpired.
	Leases int `bun:"leases,scanonly"`
}

// ReceiverLease says which instance watches a receiver until when; Fence
// grows with every change of owner.
type ReceiverLease struct {
	bun.BaseModel `bun:"table:receiver_leases,alias:rl"`

	ReceiverID int64     `bun:"receiver_id,pk"`
	Owner      string    `bun:"owner,notnull"`
	Fence      int64     `bun:"fence,notnull"`
	AcquiredAt time.Time `bun:"acquired_at,notnull,default:current_timestamp"`
	ExpiresAt  time.Time `bun:"expires_at,notnull"`
}
