// Package secret seals the few secrets Micboard must keep in the database
// (receiver passwords for Sennheiser SSCv2) with AES-256-GCM under a key
// that lives only in the environment (MICBOARD_SECRET_KEY), so a copy of
// the database alone reveals no password.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// KeySize is the length of an AES-256 key.
const KeySize = 32

// version prefixes every sealed value, so the format can change later
// without guessing what an old row holds.
const version byte = 1

// Errors callers map to messages.
var (
	// ErrNoKey: a secret must be sealed or opened but no key is configured.
	ErrNoKey = errors.New("no secret key: set MICBOARD_SECRET_KEY to 32 random bytes, base64 or hex (e.g. openssl rand -base64 32)")
	// ErrOpen: the sealed value was altered, belongs to another row, or was
	// sealed under another key.
	ErrOpen = errors.New("sealed secret does not open: altered, moved from another row, or sealed under another key")
	// ErrBadKey: MICBOARD_SECRET_KEY is not 32 bytes in base64 or hex.
	ErrBadKey = errors.New("want 32 bytes, written as base64 (44 characters) or hex (64 characters)")
)

// Key is an AES-256 key. Its String and LogValue never show the bytes, so
// a Config printed or logged by mistake leaks nothing.
type Key struct {
	aead cipher.AEAD
}

// ParseKey reads a key written as hex (64 digits) or base64 (standard or
// URL alphabet, padded or not) of exactly 32 bytes.
func ParseKey(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	var raw []byte
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		raw = b
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
				raw = b
				break
			}
		}
	}
	if raw == nil {
		return nil, ErrBadKey
	}
	return NewKey(raw)
}

// NewKey wraps 32 raw bytes.
func NewKey(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("secret key: %w", ErrBadKey)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return &Key{aead: aead}, nil
}

// String hides the key.
func (k *Key) String() string { return "[secret key]" }

// LogValue hides the key from slog.
func (k *Key) LogValue() slog.Value { return slog.StringValue("[secret key]") }

// Seal encrypts plaintext with a fresh random nonce. ad (associated data)
// binds the result to where it is stored, e.g. "receiver:12:password": the
// same bytes copied to another row do not open.
func (k *Key) Seal(plaintext, ad []byte) ([]byte, error) {
	if k == nil {
		return nil, ErrNoKey
	}
	out := make([]byte, 1+k.aead.NonceSize(), 1+k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal: random nonce: %w", err)
	}
	return k.aead.Seal(out, out[1:], plaintext, ad), nil
}

// Open decrypts what Seal returned for the same ad; any change to the
// sealed bytes, the ad or the key gives ErrOpen.
func (k *Key) Open(sealed, ad []byte) ([]byte, error) {
	if k == nil {
		return nil, ErrNoKey
	}
	ns := k.aead.NonceSize()
	if len(sealed) < 1+ns+k.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	pt, err := k.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
