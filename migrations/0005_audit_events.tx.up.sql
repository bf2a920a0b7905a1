-- Every change made from the console, the API or the command line, with who
-- made it. Rows are only ever added; a user's rows outlive the user (the
-- name is kept beside the id for that reason).
CREATE TABLE audit_events (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    user_id      bigint REFERENCES users (id) ON DELETE SET NULL,
    -- The user's name at the time, "cli", or "api token NAME".
    actor        text NOT NULL CHECK (btrim(actor) <> ''),
    action       text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]*$'),
    object_kind  text NOT NULL DEFAULT '',
    object_ids   bigint[] NOT NULL DEFAULT '{}',
    row_count    integer NOT NULL DEFAULT 0 CHECK (row_count >= 0),
    summary      text NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at_idx ON audit_events (at DESC, id DESC);
CREATE INDEX audit_events_actor_idx ON audit_events (lower(actor), at DESC);
CREATE INDEX audit_events_action_idx ON audit_events (action, at DESC);
