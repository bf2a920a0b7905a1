package model

import (
	"time"

	"github.com/uptrace/bun"
)

// APIToken lets a program call the API with a role, without a login: the
// client sends the token as "Authorization: Bearer <token>". Only a hash
// of the token is stored; the token itself is shown once.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens,alias:tok"`

	ID         int64      `bun:"id,pk,autoincrement"`
	Name       string     `bun:"name,notnull"`
	TokenHash  []byte     `bun:"token_hash,notnull"`
	Role       Role       `bun:"role,notnull"`
	CreatedBy  string     `bun:"created_by,notnull"` // the actor that made it: a username or "cli"
	CreatedAt  time.Time  `bun:"created_at,notnull,default:current_timestamp"`
	LastUsedAt *time.Time `bun:"last_used_at"`
	RevokedAt  *time.Time `bun:"revoked_at"`
}

// Active reports a token that has not been revoked.
func (t *APIToken) Active() bool { return t.RevokedAt == nil }
