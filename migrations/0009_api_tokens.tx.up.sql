-- API tokens: a client of /api/v1 sends "Authorization: Bearer <token>" and
-- acts with the token's role. Only the SHA-256 of the token is kept (the
-- token is 256 random bits, so a fast hash is enough); it is shown once,
-- when it is made. A revoked token fails from its next request; its row is
-- kept, with its name, for the audit log.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL CHECK (btrim(name) <> '' AND char_length(name) <= 100),
    token_hash   bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    role         text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    created_by   text NOT NULL CHECK (btrim(created_by) <> ''),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE UNIQUE INDEX api_tokens_name_key ON api_tokens (lower(name));
