package model

import (
	"time"

	"github.com/uptrace/bun"
)

// Role is what a user may do.
type Role string

// Roles, least powerful first.
const (
	RoleViewer   Role = "viewer"   // the board and channel detail
	RoleOperator Role = "operator" // viewer + device actions (sync, reconnect, rename, assignments)
	RoleAdmin    Role = "admin"    // everything, users, kiosks, locations and discovery included
)

// Roles lists every role, least powerful first.
var Roles = []Role{RoleViewer, RoleOperator, RoleAdmin}

// rank orders the roles; 0 is no role at all.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleOperator:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r may do what need allows: an admin may do
// everything an operator may, an operator everything a viewer may.
func (r Role) AtLeast(need Role) bool { return r.Valid() && r.rank() >= need.rank() }

// User is a person who logs in.
type User struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID           int64  `bun:"id,pk,autoincrement"`
	Username     string `bun:"username,notnull"`
	PasswordHash string `bun:"password_hash,notnull"`
	Role         Role   `bun:"role,notnull"`
	Active       bool   `bun:"active,notnull"`
	// SessionEpoch is carried by every login cookie; bumping it ends every
	// session of the user at its next request.
	SessionEpoch int64      `bun:"session_epoch,notnull,default:1"`
	LastLoginAt  *time.Time `bun:"last_login_at"`
	CreatedAt    time.Time  `bun:"created_at,notnull,default:current_timestamp"`
	UpdatedAt    time.Time  `bun:"updated_at,notnull,default:current_timestamp"`
}

// AuditEvent records one change: who made it, when, to what, and a summary
// of before → after.
type AuditEvent struct {
	bun.BaseModel `bun:"table:audit_events,alias:ae"`

	ID         int64     `bun:"id,pk,autoincrement"`
	At         time.Time `bun:"at,notnull,default:current_timestamp"`
	UserID     *int64    `bun:"user_id"`
	Actor      string    `bun:"actor,notnull"`
	Action     string    `bun:"action,notnull"`
	ObjectKind string    `bun:"object_kind,notnull"`
	ObjectIDs  []int64   `bun:"object_ids,array,notnull"`
	RowCount   int       `bun:"row_count,notnull"`
	Summary    string    `bun:"summary,notnull"`
}
