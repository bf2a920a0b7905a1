-- Several instances may serve one database. Each announces itself in
-- instances and renews its heartbeat; each active receiver is watched by
-- exactly one of them, the owner of its row in receiver_leases. A lease
-- that is not renewed expires and any live instance takes it over, with
-- the fence number one higher: writes for the receiver check it, so an
-- owner that lost its lease (paused, cut off) can never write over the new
-- owner's.

CREATE TABLE instances (
    id             text PRIMARY KEY CHECK (btrim(id) <> ''),
    host           text NOT NULL DEFAULT '',
    addr           text NOT NULL DEFAULT '',
    version        text NOT NULL DEFAULT '',
    schema_version text NOT NULL DEFAULT '',
    started_at     timestamptz NOT NULL DEFAULT now(),
    heartbeat_at   timestamptz NOT NULL DEFAULT now(),
    stopping       boolean NOT NULL DEFAULT false,
    receivers      integer NOT NULL DEFAULT 0,
    sse_clients    integer NOT NULL DEFAULT 0
);

CREATE TABLE receiver_leases (
    receiver_id bigint PRIMARY KEY REFERENCES receivers (id) ON DELETE CASCADE,
    owner       text NOT NULL CHECK (btrim(owner) <> ''),
    fence       bigint NOT NULL DEFAULT 1,
    acquired_at timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

CREATE INDEX receiver_leases_owner ON receiver_leases (owner);
