package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
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

// KioskInput describes a wall display's settings: a new display's, or the
// new settings of one (Update). Both are checked by the same validate.
type KioskInput struct {
	Name      string
	ViewQuery string         // the board view, as a URL query ("loc=2&status=attention")
	Columns   int            // 0: as many as fit
	TileSize  model.TileSize // l when empty
	ShowRF    bool
	ShowAudio bool
	Heartbeat time.Duration // 30 s when zero
	// PageSeconds is how long a paging wall shows each page (10 when zero).
	PageSeconds int

	view model.BoardView // ViewQuery parsed by validate
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
	if in.PageSeconds == 0 {
		in.PageSeconds = DefaultKioskPageSeconds
	}
	v := validator{}
	v.check(in.Name != "", "name", "give the display a name")
	if err := model.CheckLabel(in.Name, 100); in.Name != "" && err != nil {
		v.check(false, "name", err.Error())
	}
	// The display re-reads this view on every load and answers 400 for as
	// long as it lives if the board cannot read it, so it is parsed the way
	// the board parses it, and stored in its canonical form.
	view, err := model.ParseStoredView(in.ViewQuery)
	switch {
	case len(in.ViewQuery) > 500:
		v.check(false, "view", "at most 500 characters")
	case err != nil:
		v.check(false, "view", err.Error()+" (want a board view such as loc=2&status=attention)")
	default:
		in.ViewQuery, in.view = view.Encode(), view
	}
	v.check(in.Columns >= 0 && in.Columns <= 24, "columns", "0 (automatic) to 24")
	v.check(in.TileSize == model.TileSmall || in.TileSize == model.TileMedium || in.TileSize == model.TileLarge, "size", "s, m or l")
	v.check(in.Heartbeat >= 5*time.Second && in.Heartbeat <= time.Hour, "heartbeat", "between 5s and 1h")
	v.check(in.Heartbeat%time.Second == 0, "heartbeat", "whole seconds, such as 30s")
	checkPageSeconds(v, in.PageSeconds)
	return v.err()
}

// A paging wall shows each page between MinKioskPageSeconds and
// MaxKioskPageSeconds: quicker cannot be read from the room, slower leaves
// a channel unseen for minutes.
const (
	DefaultKioskPageSeconds = 10
	MinKioskPageSeconds     = 3
	MaxKioskPageSeconds     = 120
)

func checkPageSeconds(v validator, seconds int) {
	v.check(seconds >= MinKioskPageSeconds && seconds <= MaxKioskPageSeconds, "page_seconds",
		fmt.Sprintf("a whole number of seconds from %d to %d", MinKioskPageSeconds, MaxKioskPageSeconds))
}

// Update replaces the settings of the active display id with in, checked as
// Create checks a new one, and records the change as actor's in the audit
// log, in one transaction. The token, and so the URL, stays the same; the
// display's updated_at moves on, which a running wall learns at its next
// heartbeat and loads again. It returns the display as stored and what
// changed, in words; nothing changed is no write, no audit row and no
// reload. An unknown or revoked display is store.ErrNotFound.
func (s *Kiosks) Update(ctx context.Context, actor Actor, id int64, in KioskInput) (*model.Kiosk, []string, error) {
	if err := in.validate(); err != nil {
		return nil, nil, err
	}
	var k *model.Kiosk
	var changes []string
	err := Audited(ctx, s.st, actor, func(tx *store.Store) (Change, error) {
		if err := NewKiosks(tx).checkViewTargets(ctx, in.view); err != nil {
			return Change{}, err
		}
		before, err := tx.Kiosks.ActiveByID(ctx, id)
		if err != nil {
			return Change{}, err
		}
		after := *before
		after.Name, after.ViewQuery, after.Columns, after.TileSize = in.Name, in.ViewQuery, in.Columns, in.TileSize
		after.ShowRF, after.ShowAudio = in.ShowRF, in.ShowAudio
		after.HeartbeatSeconds, after.PageSeconds = int(in.Heartbeat/time.Second), in.PageSeconds
		if changes = KioskChanges(before, &after); len(changes) == 0 {
			k = before
			return Change{}, errNoKioskChange
		}
		if err := tx.Kiosks.UpdateSettings(ctx, &after); err != nil {
			return Change{}, err
		}
		k = &after
		return Change{Action: "kiosk.update", ObjectKind: "kiosk", ObjectIDs: []int64{id},
			Summary: fmt.Sprintf("display %q: %s", before.Name, strings.Join(changes, "; "))}, nil
	})
	if errors.Is(err, errNoKioskChange) {
		return k, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return k, changes, nil
}

// errNoKioskChange rolls back an update that would store what is stored.
var errNoKioskChange = errors.New("no kiosk setting changed")

// KioskChanges says, setting by setting, how after differs from before
// ("tile size m → l"); none when they show the same.
func KioskChanges(before, after *model.Kiosk) []string {
	var out []string
	add := func(what string, was, is any) {
		if was != is {
			out = append(out, fmt.Sprintf("%s %v → %v", what, was, is))
		}
	}
	add("name", strconv.Quote(before.Name), strconv.Quote(after.Name))
	add("view", kioskViewText(before.ViewQuery), kioskViewText(after.ViewQuery))
	add("tile size", before.TileSize, after.TileSize)
	add("columns", kioskColumnsText(before.Columns), kioskColumnsText(after.Columns))
	add("RF meters", onOff(before.ShowRF), onOff(after.ShowRF))
	add("audio meters", onOff(before.ShowAudio), onOff(after.ShowAudio))
	add("heartbeat", fmt.Sprintf("%d s", before.HeartbeatSeconds), fmt.Sprintf("%d s", after.HeartbeatSeconds))
	add("seconds a page", fmt.Sprintf("%d s", before.PageSeconds), fmt.Sprintf("%d s", after.PageSeconds))
	return out
}

func kioskViewText(q string) string {
	if q == "" {
		return "the whole board"
	}
	return q
}

func kioskColumnsText(n int) string {
	if n == 0 {
		return "auto"
	}
	return strconv.Itoa(n)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// Create registers a display and returns it with its secret token, which is
// shown once: only its hash is stored.
func (s *Kiosks) Create(ctx context.Context, in KioskInput) (*model.Kiosk, string, error) {
	if err := in.validate(); err != nil {
		return nil, "", err
	}
	if err := s.checkViewTargets(ctx, in.view); err != nil {
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
		HeartbeatSeconds: int(in.Heartbeat / time.Second), PageSeconds: in.PageSeconds,
	}
	if err := s.st.Kiosks.Create(ctx, k); err != nil {
		return nil, "", err
	}
	return k, token, nil
}

// checkViewTargets refuses a view naming a location or group that does not
// exist: the display would answer 400 until someone created it.
func (s *Kiosks) checkViewTargets(ctx context.Context, view model.BoardView) error {
	if view.Location > 0 {
		_, err := s.st.Locations.Get(ctx, view.Location)
		if errors.Is(err, store.ErrNotFound) {
			return &ValidationError{Fields: map[string]string{"view": fmt.Sprintf("there is no location %d", view.Location)}}
		}
		if err != nil {
			return fmt.Errorf("check kiosk view: %w", err)
		}
	}
	if view.Group > 0 {
		_, err := s.st.BoardGroups.ByNumber(ctx, view.Group)
		if errors.Is(err, store.ErrNotFound) {
			return &ValidationError{Fields: map[string]string{"view": fmt.Sprintf("group %d is not set up (micboard group set %d ...)", view.Group, view.Group)}}
		}
		if err != nil {
			return fmt.Errorf("check kiosk view: %w", err)
		}
	}
	return nil
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
