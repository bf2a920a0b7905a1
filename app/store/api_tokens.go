package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"micboard/app/model"
)

// APITokens is the repository of API tokens. Tokens are high-entropy
// random strings, so they are stored as their SHA-256 (a slow password
// hash would add nothing but cost on every API call).
type APITokens struct{ db bun.IDB }

// HashAPIToken is the stored form of a raw token.
func HashAPIToken(raw string) []byte {
	h := sha256.Sum256([]byte(raw))
	return h[:]
}

// Create inserts a token; t.TokenHash must be set. A name in use (in any
// letter case, revoked or not) is ErrAlreadyExists.
func (r *APITokens) Create(ctx context.Context, t *model.APIToken) error {
	_, err := r.db.NewInsert().Model(t).Returning("*").Exec(ctx)
	return wrap(err, "create api token %q", t.Name)
}

// Authenticate returns the active token whose raw form is raw. An unknown
// or revoked token is ErrNotFound, the same answer for both, so a caller
// learns nothing about tokens it does not hold. It reads the database on
// every call: a revoke takes effect on the very next request.
func (r *APITokens) Authenticate(ctx context.Context, raw string) (*model.APIToken, error) {
	if raw == "" {
		return nil, fmt.Errorf("authenticate api token: %w", ErrNotFound)
	}
	hash := HashAPIToken(raw)
	t := new(model.APIToken)
	err := r.db.NewSelect().Model(t).Where("token_hash = ?", hash).Where("revoked_at IS NULL").Scan(ctx)
	if err != nil {
		return nil, wrap(err, "authenticate api token")
	}
	// The index found the row by its hash; compare once more in constant
	// time so no code path branches on how much of the hash matched.
	if subtle.ConstantTimeCompare(t.TokenHash, hash) != 1 {
		return nil, fmt.Errorf("authenticate api token: %w", ErrNotFound)
	}
	return t, nil
}

// List lists every token, active ones first, by name.
func (r *APITokens) List(ctx context.Context) ([]*model.APIToken, error) {
	var out []*model.APIToken
	err := r.db.NewSelect().Model(&out).
		OrderExpr("tok.revoked_at IS NOT NULL").OrderExpr("lower(tok.name)").Order("tok.id").Scan(ctx)
	if err != nil {
		return nil, wrap(err, "list api tokens")
	}
	return out, nil
}

// Get returns one token by id, revoked or not.
func (r *APITokens) Get(ctx context.Context, id int64) (*model.APIToken, error) {
	t := new(model.APIToken)
	if err := r.db.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "get api token %d", id)
	}
	return t, nil
}

// ByName returns the token with this name (any letter case), revoked or not.
func (r *APITokens) ByName(ctx context.Context, name string) (*model.APIToken, error) {
	t := new(model.APIToken)
	if err := r.db.NewSelect().Model(t).Where("lower(name) = lower(?)", name).Scan(ctx); err != nil {
		return nil, wrap(err, "find api token %q", name)
	}
	return t, nil
}

// Revoke marks an active token revoked; revoking one already revoked (or
// unknown) is ErrNotFound.
func (r *APITokens) Revoke(ctx context.Context, id int64, at time.Time) error {
	res, err := r.db.NewUpdate().Model((*model.APIToken)(nil)).
		Set("revoked_at = ?", at).Where("id = ? AND revoked_at IS NULL", id).Exec(ctx)
	if err != nil {
		return wrap(err, "revoke api token %d", id)
	}
	return rowsOrNotFound(res, "revoke api token %d", id)
}

// Used records that a token was used at at. It writes only when the last
// record is older than every, so a busy client costs one write a minute,
// not one per request.
func (r *APITokens) Used(ctx context.Context, id int64, at time.Time, every time.Duration) error {
	_, err := r.db.NewUpdate().Model((*model.APIToken)(nil)).Set("last_used_at = ?", at).
		Where("id = ?", id).Where("last_used_at IS NULL OR last_used_at < ?", at.Add(-every)).Exec(ctx)
	return wrap(err, "record use of api token %d", id)
}
