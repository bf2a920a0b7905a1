package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"micboard/app/model"
	"micboard/app/store"
)

// ErrLinkRevoked is a performer link that was revoked.
var ErrLinkRevoked = errors.New("this link was revoked")

// CreatePerformerLink makes a secret "my packs" link for the active
// performer with this name or id, recorded in the audit log. The token is
// returned once; only its hash is stored.
func CreatePerformerLink(ctx context.Context, st *store.Store, actor Actor, nameOrID string) (*model.Performer, string, error) {
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", fmt.Errorf("make performer link token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	var p *model.Performer
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		var err error
		if p, err = tx.Performers.FindActiveByName(ctx, strings.TrimSpace(nameOrID)); err != nil {
			return Change{}, err
		}
		l := &model.PerformerLink{PerformerID: p.ID, TokenHash: hashToken(token)}
		if err := tx.PerformerLinks.Create(ctx, l); err != nil {
			return Change{}, err
		}
		return Change{Action: "performer.link", ObjectKind: "performer", ObjectIDs: []int64{p.ID},
			Summary: fmt.Sprintf("made a phone link for performer %q", p.Name)}, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("link performer %q: %w", nameOrID, err)
	}
	return p, token, nil
}

// RevokePerformerLinks revokes every live link of the active performer
// with this name or id, recorded in the audit log, and counts them.
func RevokePerformerLinks(ctx context.Context, st *store.Store, actor Actor, nameOrID string, now time.Time) (*model.Performer, int, error) {
	var p *model.Performer
	var n int
	err := Audited(ctx, st, actor, func(tx *store.Store) (Change, error) {
		var err error
		if p, err = tx.Performers.FindActiveByName(ctx, strings.TrimSpace(nameOrID)); err != nil {
			return Change{}, err
		}
		if n, err = tx.PerformerLinks.RevokeAll(ctx, p.ID, now); err != nil {
			return Change{}, err
		}
		return Change{Action: "performer.link.revoke", ObjectKind: "performer", ObjectIDs: []int64{p.ID},
			Summary: fmt.Sprintf("revoked %d phone link(s) of performer %q", n, p.Name)}, nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("revoke links of performer %q: %w", nameOrID, err)
	}
	return p, n, nil
}

// AuthenticatePerformerLink finds the link a token belongs to, with its
// performer. A malformed or unknown token is store.ErrNotFound; a revoked
// one is ErrLinkRevoked (with the link).
func AuthenticatePerformerLink(ctx context.Context, st *store.Store, token string) (*model.PerformerLink, error) {
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != tokenBytes {
		return nil, fmt.Errorf("performer link token: %w", store.ErrNotFound)
	}
	l, err := st.PerformerLinks.ByTokenHash(ctx, hashToken(token))
	if err != nil {
		return nil, err
	}
	if l.RevokedAt != nil {
		return l, ErrLinkRevoked
	}
	return l, nil
}
