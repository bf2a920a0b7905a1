package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"micboard/app/model"
	"micboard/app/store"
)

// APITokenPrefix starts every API token, so a token pasted somewhere it
// should not be is recognisable (and secret scanners can find it).
const APITokenPrefix = "mbt_"

// apiTokenBytes is the randomness of a token: 256 bits, beyond guessing,
// which is why a plain SHA-256 of it is a safe stored form.
const apiTokenBytes = 32

// tokenUseEvery: a token's last use is written at most this often.
const tokenUseEvery = time.Minute

// APITokens holds the rules for the API's bearer tokens.
type APITokens struct {
	st  *store.Store
	now func() time.Time
}

// NewAPITokens returns the API token service.
func NewAPITokens(st *store.Store) *APITokens { return &APITokens{st: st, now: time.Now} }

// APITokenInput describes a new token.
type APITokenInput struct {
	Name string
	Role model.Role
}

func (in *APITokenInput) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	v := validator{}
	v.check(in.Name != "", "name", "give the token a name, such as the program that will use it")
	if err := model.CheckLabel(in.Name, 100); in.Name != "" && err != nil {
		v.check(false, "name", err.Error())
	}
	v.check(in.Role.Valid(), "role", "viewer, operator or admin")
	return v.err()
}

// Create makes a token and returns it with its secret, which is shown
// once: only its hash is stored. The change is audited.
func (s *APITokens) Create(ctx context.Context, actor Actor, in APITokenInput) (*model.APIToken, string, error) {
	if err := in.validate(); err != nil {
		return nil, "", err
	}
	raw := make([]byte, apiTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", fmt.Errorf("make api token: %w", err)
	}
	secret := APITokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	t := &model.APIToken{Name: in.Name, TokenHash: store.HashAPIToken(secret), Role: in.Role, CreatedBy: actorName(actor)}
	err := Audited(ctx, s.st, actor, func(tx *store.Store) (Change, error) {
		if err := tx.APITokens.Create(ctx, t); err != nil {
			if errors.Is(err, store.ErrAlreadyExists) {
				return Change{}, &ValidationError{Fields: map[string]string{
					"name": fmt.Sprintf("a token called %q exists (names ignore letter case and stay taken after a revoke)", in.Name)}}
			}
			return Change{}, err
		}
		return Change{Action: "api_token.create", ObjectKind: "api_token", ObjectIDs: []int64{t.ID},
			Summary: fmt.Sprintf("created API token %q with role %s", t.Name, t.Role)}, nil
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

func actorName(a Actor) string {
	if strings.TrimSpace(a.Name) == "" {
		return "unknown"
	}
	return a.Name
}

// Revoke revokes the token with this name (any letter case) or id; it
// fails from its next request. Revoking one already revoked is
// store.ErrNotFound. The change is audited.
func (s *APITokens) Revoke(ctx context.Context, actor Actor, nameOrID string) (*model.APIToken, error) {
	nameOrID = strings.TrimSpace(nameOrID)
	return s.revoke(ctx, actor, func(tx *store.Store) (*model.APIToken, error) {
		t, err := tx.APITokens.ByName(ctx, nameOrID)
		if errors.Is(err, store.ErrNotFound) {
			if id, perr := strconv.ParseInt(nameOrID, 10, 64); perr == nil && id > 0 {
				return tx.APITokens.Get(ctx, id)
			}
		}
		return t, err
	})
}

// RevokeID revokes the token with this id, as Revoke does.
func (s *APITokens) RevokeID(ctx context.Context, actor Actor, id int64) (*model.APIToken, error) {
	return s.revoke(ctx, actor, func(tx *store.Store) (*model.APIToken, error) { return tx.APITokens.Get(ctx, id) })
}

func (s *APITokens) revoke(ctx context.Context, actor Actor, find func(tx *store.Store) (*model.APIToken, error)) (*model.APIToken, error) {
	var t *model.APIToken
	err := Audited(ctx, s.st, actor, func(tx *store.Store) (Change, error) {
		var err error
		if t, err = find(tx); err != nil {
			return Change{}, err
		}
		if err := tx.APITokens.Revoke(ctx, t.ID, s.now()); err != nil {
			return Change{}, err
		}
		return Change{Action: "api_token.revoke", ObjectKind: "api_token", ObjectIDs: []int64{t.ID},
			Summary: fmt.Sprintf("API token %q (%s): active → revoked", t.Name, t.Role)}, nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// List lists every token, active ones first.
func (s *APITokens) List(ctx context.Context) ([]*model.APIToken, error) {
	return s.st.APITokens.List(ctx)
}

// Authenticate returns the active token whose secret is secret, and notes
// its use (at most once a minute). Anything else — malformed, unknown,
// revoked — is store.ErrNotFound. The database is asked every time, so a
// revoke takes effect on the token's very next request.
func (s *APITokens) Authenticate(ctx context.Context, secret string) (*model.APIToken, error) {
	body, ok := strings.CutPrefix(secret, APITokenPrefix)
	if raw, err := base64.RawURLEncoding.DecodeString(body); !ok || err != nil || len(raw) != apiTokenBytes {
		return nil, fmt.Errorf("api token: %w", store.ErrNotFound)
	}
	t, err := s.st.APITokens.Authenticate(ctx, secret)
	if err != nil {
		return nil, err
	}
	if now := s.now(); t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= tokenUseEvery {
		if err := s.st.APITokens.Used(ctx, t.ID, now, tokenUseEvery); err != nil {
			return nil, err
		}
		t.LastUsedAt = &now
	}
	return t, nil
}
