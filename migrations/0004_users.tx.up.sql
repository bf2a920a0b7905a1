-- Accounts can end their sessions: every login cookie carries the epoch it
-- was issued under, and a request whose epoch is no longer the user's is
-- logged out. Disabling a user (active = false) or changing a password
-- bumps the epoch, so every open session of that user ends on its next
-- request.
ALTER TABLE users
    ADD COLUMN session_epoch bigint NOT NULL DEFAULT 1 CHECK (session_epoch > 0),
    ADD CONSTRAINT users_password_hash_check CHECK (password_hash <> '');
