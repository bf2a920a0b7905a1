package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"micboard/app/model"
	"micboard/app/store"
)

// ErrKioskRevoked: the display's URL was revoked by an admin.
var ErrKioskRevoked = errors.New("this display was revoked")

// tokenBytes is the size of a kiosk secret: 256 bits, beyond guessing.
const tokenBytes = 32

// Kiosks holds the rules for wall displays reached by a secret URL.
type Kiosks struct {
	st  *store.Store
	now func() time.Time
}

// NewKiosks returns the kiosk service.
func NewKiosks(st *store.Store) *Kiosks { return &Kiosks{st: st, now: time.Now} }

// KioskInput describes a new wall display.
type KioskInput struct {
	Name      string
	ViewQuery string         // the board view, as a URL query ("loc=2&status=attention")
	Columns   int            // 0: as many as fit
	TileSize  model.TileSize // l when empty
	ShowRF    bool
	ShowAudio bool
	Heartbeat time.Duration // 30 s when zero
}

func (in *KioskInput) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	in.ViewQuery = strings.TrimPrefix(strings.TrimSpace(in.ViewQuery), "?")
	if in.TileSize == "" {
		in.TileSize = model.TileLarge
	}
	if in.Heartbeat == 0 {
		in.Heartbeat = 30 * time.Second
	}
	v := validator{}
	v.check(in.Name != "", "name", "give the display a name")
	v.check(len(in.Name) <= 100, "name", "at most 100 characters")
	_, err := url.ParseQuery(in.ViewQuery)
	v.check(err == nil && len(in.ViewQuery) <= 500, "view", "want a board view such as loc=2&status=attention")
	v.check(in.Columns >= 0 && in.Columns <= 24, "columns", "0 (automatic) to 24")
	v.check(in.TileSize == model.TileSmall || in.TileSize == model.TileMedium || in.TileSize == model.TileLarge, "size", "s, m or l")
	v.check(in.Heartbeat >= 5*time.Second && in.Heartbeat <= time.Hour, "heartbeat", "between 5s and 1h")
	return v.err()
}

// Create registers a display and returns it with its secret token, which is
// shown once: only its hash is stored.
func (s *Kiosks) Create(ctx context.Context, in KioskInput) (*model.Kiosk, string, error) {
	if err := in.validate(); err != nil {
		return nil, "", err
	}
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", fmt.Errorf("make kiosk token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	k := &model.Kiosk{
		Name: in.Name, TokenHash: hashToken(token), ViewQuery: in.ViewQuery, Columns: in.Columns,
		TileSize: in.TileSize, ShowRF: in.ShowRF, ShowAudio: in.ShowAudio,
		HeartbeatSeconds: int(in.Heartbeat / time.Second),
	}
	if err := s.st.Kiosks.Create(ctx, k); err != nil {
		return nil, "", err
	}
	return k, token, nil
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Authenticate finds the display a token belongs to. A malformed or unknown
// token is store.ErrNotFound; a revoked one is ErrKioskRevoked (with the
// display, so its page can say which).
func (s *Kiosks) Authenticate(ctx context.Context, token string) (*model.Kiosk, error) {
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != tokenBytes {
		return nil, fmt.Errorf("kiosk token: %w", store.ErrNotFound)
	}
	k, err := s.st.Kiosks.ByTokenHash(ctx, hashToken(token))
	if err != nil {
		return nil, err
	}
	if k.RevokedAt != nil {
		return k, ErrKioskRevoked
	}
	return k, nil
}

// Heartbeat records that a display is alive.
func (s *Kiosks) Heartbeat(ctx context.Context, id int64, addr, agent string) error {
	if len(agent) > 300 {
		agent = agent[:300]
	}
	return s.st.Kiosks.Seen(ctx, id, s.now(), addr, agent)
}

// Revoke revokes the display with this name or id.
func (s *Kiosks) Revoke(ctx context.Context, nameOrID string) (*model.Kiosk, error) {
	k, err := s.st.Kiosks.FindActive(ctx, strings.TrimSpace(nameOrID))
	if err != nil {
		return nil, err
	}
	if err := s.st.Kiosks.Revoke(ctx, k.ID, s.now()); err != nil {
		return nil, err
	}
	return k, nil
}

// List lists every display.
func (s *Kiosks) List(ctx context.Context) ([]*model.Kiosk, error) { return s.st.Kiosks.List(ctx) }

// Alive reports whether a display has sent a heartbeat within three of its
// intervals.
func Alive(k *model.Kiosk, now time.Time) bool {
	return k.RevokedAt == nil && k.LastSeenAt != nil &&
		now.Sub(*k.LastSeenAt) <= 3*time.Duration(k.HeartbeatSeconds)*time.Second
}
