package store

import (
	"context"
	"fmt"

	"micboard/app/model"
)

// The credential queries go to the database itself, never through the read
// cache: a sealed password must not be copied into Redis or memory caches
// shared with the web side.

// SetCredential stores (or replaces) how Micboard logs in to a receiver.
func (r *Receivers) SetCredential(ctx context.Context, c *model.ReceiverCredential) error {
	_, err := r.db.NewInsert().Model(c).
		On("CONFLICT (receiver_id) DO UPDATE").
		Set("username = EXCLUDED.username").
		Set("password_sealed = EXCLUDED.password_sealed").
		Set("tls_fingerprint = EXCLUDED.tls_fingerprint").
		Set("updated_at = now()").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store credentials of receiver %d: %w", c.ReceiverID, mapError(err))
	}
	return nil
}

// Credential returns a receiver's stored credentials (ErrNotFound when it
// has none).
func (r *Receivers) Credential(ctx context.Context, receiverID int64) (*model.ReceiverCredential, error) {
	c := new(model.ReceiverCredential)
	if err := r.db.NewSelect().Model(c).Where("rc.receiver_id = ?", receiverID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("credentials of receiver %d: %w", receiverID, mapError(err))
	}
	return c, nil
}

// ActiveCredentials returns the credentials of every active receiver that
// has some, by receiver id: the monitor reads them with the receiver list.
func (r *Receivers) ActiveCredentials(ctx context.Context) (map[int64]*model.ReceiverCredential, error) {
	var cs []*model.ReceiverCredential
	err := r.db.NewSelect().Model(&cs).
		Where("rc.receiver_id IN (SELECT id FROM receivers WHERE active)").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list receiver credentials: %w", mapError(err))
	}
	out := make(map[int64]*model.ReceiverCredential, len(cs))
	for _, c := range cs {
		out[c.ReceiverID] = c
	}
	return out, nil
}
