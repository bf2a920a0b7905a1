package monitor

import (
	"errors"

	"micboard/app/model"
	"micboard/app/secret"
)

// withCredentials adds a receiver's login to its target, opening the
// stored password with the configured key. A password that cannot be
// opened is not guessed around: the receiver is shown offline with the
// reason (CredErr), which names what to fix and never the password.
func (m *Manager) withCredentials(t target, c *model.ReceiverCredential) target {
	if c == nil {
		return t
	}
	t.Username, t.Fingerprint = c.Username, c.TLSFingerprint
	pw, err := m.opts.SecretKey.Open(c.PasswordSealed, model.PasswordAD(t.ID))
	switch {
	case errors.Is(err, secret.ErrNoKey):
		t.CredErr = "a password is stored for this receiver but MICBOARD_SECRET_KEY is not set: start Micboard with the key it was stored under"
	case err != nil:
		t.CredErr = "the password stored for this receiver does not open with MICBOARD_SECRET_KEY (another key, or the row was altered): " +
			"set the key it was stored under, or add the receiver again with --password-stdin"
	default:
		t.Password = string(pw)
	}
	return t
}
