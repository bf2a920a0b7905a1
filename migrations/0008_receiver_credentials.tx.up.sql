-- Credentials for receivers that require them (Sennheiser EW-DX over SSCv2:
-- user "api" and a password). A table of its own rather than columns on
-- receivers, so no receiver query, cache entry, page or API answer can ever
-- carry a password: only the monitor and `receiver add` read this table.
-- password_sealed is AES-256-GCM under MICBOARD_SECRET_KEY (version byte,
-- random nonce, ciphertext), bound to the receiver's id; tls_fingerprint is
-- the SHA-256 of the certificate the receiver showed when it was added
-- (trust on first use): a receiver that later shows another is refused.
CREATE TABLE receiver_credentials (
    receiver_id     bigint PRIMARY KEY REFERENCES receivers (id) ON DELETE CASCADE,
    username        text NOT NULL,
    password_sealed bytea NOT NULL,
    tls_fingerprint text NOT NULL DEFAULT '' CHECK (tls_fingerprint ~ '^([0-9a-f]{64})?$'),
    created_at      timestamptz NOT NULL DEFAULT current_timestamp,
    updated_at      timestamptz NOT NULL DEFAULT current_timestamp
);
