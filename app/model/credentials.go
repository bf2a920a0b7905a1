package model

import (
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// ReceiverCredential is how Micboard logs in to a receiver that requires it
// (Sennheiser SSCv2: user "api" and a password). It lives apart from
// Receiver so that no receiver list, page, cache or API answer can carry
// it. The password is only ever held sealed here (AES-256-GCM under
// MICBOARD_SECRET_KEY); the monitor opens it when it connects.
type ReceiverCredential struct {
	bun.BaseModel `bun:"table:receiver_credentials,alias:rc"`

	ReceiverID     int64     `bun:"receiver_id,pk" json:"-"`
	Username       string    `bun:"username,notnull" json:"-"`
	PasswordSealed []byte    `bun:"password_sealed,notnull" json:"-"`
	TLSFingerprint string    `bun:"tls_fingerprint,notnull" json:"-"` // hex SHA-256 of the certificate pinned at first contact
	CreatedAt      time.Time `bun:"created_at,notnull,default:current_timestamp" json:"-"`
	UpdatedAt      time.Time `bun:"updated_at,notnull,default:current_timestamp" json:"-"`
}

// PasswordAD is the associated data a receiver's password is sealed with:
// it binds the sealed bytes to this receiver, so a value copied to another
// row does not open.
func PasswordAD(receiverID int64) []byte {
	return []byte("micboard:receiver:" + strconv.FormatInt(receiverID, 10) + ":password")
}
