-- Saved board groups (micboard's groups 1–9) and kiosk wall displays.

CREATE TABLE board_groups (
    id          bigserial PRIMARY KEY,
    number      smallint NOT NULL UNIQUE CHECK (number BETWEEN 1 AND 9),
    name        text NOT NULL CHECK (btrim(name) <> ''),
    -- Channel ids in display order; 0 is a blank spacer.
    slots       bigint[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(slots) <= 200),
    CHECK (0 <= ALL (slots))
);

CREATE TABLE kiosks (
    id                bigserial PRIMARY KEY,
    name              text NOT NULL CHECK (btrim(name) <> ''),
    -- Only a hash of the secret token is kept; the URL is shown once.
    token_hash        bytea NOT NULL UNIQUE,
    view_query        text NOT NULL DEFAULT '',
    columns           smallint NOT NULL DEFAULT 0 CHECK (columns BETWEEN 0 AND 24),
    tile_size         text NOT NULL DEFAULT 'l' CHECK (tile_size IN ('s', 'm', 'l')),
    show_rf           boolean NOT NULL DEFAULT true,
    show_audio        boolean NOT NULL DEFAULT true,
    heartbeat_seconds integer NOT NULL DEFAULT 30 CHECK (heartbeat_seconds BETWEEN 5 AND 3600),
    revoked_at        timestamptz,
    last_seen_at      timestamptz,
    last_seen_addr    text NOT NULL DEFAULT '',
    last_seen_agent   text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX kiosks_name_key ON kiosks (lower(name)) WHERE revoked_at IS NULL;
