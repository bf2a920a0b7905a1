-- Alerts: what the rules of app/alert raised, their lifecycle (open →
-- acknowledged → resolved) and every attempt to deliver them; where they go
-- (webhooks, users who want e-mail); per-assignment thresholds; and the
-- secret "my packs" links of performers.

CREATE TABLE alerts (
    id                   bigserial PRIMARY KEY,
    kind                 text NOT NULL CHECK (kind IN ('battery_low', 'battery_critical', 'rf_loss', 'audio_low', 'rx_offline', 'tx_off')),
    severity             text NOT NULL CHECK (severity IN ('warning', 'critical')),
    state                text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
    -- A receiver's alerts (rx_offline) name no channel.
    channel_id           bigint REFERENCES channels (id) ON DELETE SET NULL,
    receiver_id          bigint REFERENCES receivers (id) ON DELETE SET NULL,
    -- What the board showed when the alert opened, kept for history.
    slot                 text NOT NULL DEFAULT '',
    channel_name         text NOT NULL DEFAULT '',
    performer            text NOT NULL DEFAULT '',
    receiver_name        text NOT NULL DEFAULT '',
    message              text NOT NULL CHECK (message <> ''),
    value                jsonb NOT NULL DEFAULT '{}'::jsonb,
    opened_at            timestamptz NOT NULL DEFAULT now(),
    acknowledged_at      timestamptz,
    acknowledged_by      bigint REFERENCES users (id) ON DELETE SET NULL,
    acknowledged_by_name text NOT NULL DEFAULT '',
    resolved_at          timestamptz,
    -- "auto" when the condition cleared, else the name of who resolved it.
    resolved_by          text NOT NULL DEFAULT '',
    CHECK ((state = 'resolved') = (resolved_at IS NOT NULL)),
    CHECK (state = 'open' OR state = 'resolved' OR acknowledged_at IS NOT NULL)
);
CREATE INDEX alerts_unresolved_idx ON alerts (opened_at DESC, id DESC) WHERE state <> 'resolved';
CREATE INDEX alerts_opened_at_idx ON alerts (opened_at DESC, id DESC);
CREATE INDEX alerts_channel_idx ON alerts (channel_id, opened_at DESC);

CREATE TABLE alert_deliveries (
    id        bigserial PRIMARY KEY,
    alert_id  bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    event     text NOT NULL CHECK (event IN ('opened', 'acknowledged', 'resolved')),
    sink      text NOT NULL CHECK (sink IN ('webhook', 'email', 'mqtt')),
    target    text NOT NULL DEFAULT '',
    attempt   integer NOT NULL CHECK (attempt >= 1),
    ok        boolean NOT NULL,
    detail    text NOT NULL DEFAULT '',
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_deliveries_alert_idx ON alert_deliveries (alert_id, at);

CREATE TABLE webhooks (
    id          bigserial PRIMARY KEY,
    url         text NOT NULL CHECK (url ~ '^https?://'),
    secret      text NOT NULL CHECK (length(secret) >= 16),
    -- Empty: every kind.
    kinds       text[] NOT NULL DEFAULT '{}',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Users who want alerts by e-mail, and where.
CREATE TABLE alert_subscriptions (
    user_id     bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email       text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    enabled     boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- An assignment's own thresholds; NULL takes the default.
ALTER TABLE assignments
    ADD COLUMN battery_low_percent      smallint CHECK (battery_low_percent BETWEEN 0 AND 100),
    ADD COLUMN battery_critical_percent smallint CHECK (battery_critical_percent BETWEEN 0 AND 100),
    ADD COLUMN battery_low_minutes      integer CHECK (battery_low_minutes BETWEEN 0 AND 1440),
    ADD COLUMN battery_critical_minutes integer CHECK (battery_critical_minutes BETWEEN 0 AND 1440),
    ADD COLUMN rf_loss_seconds          integer CHECK (rf_loss_seconds BETWEEN 1 AND 3600),
    ADD COLUMN audio_low_dbfs           real CHECK (audio_low_dbfs BETWEEN -120 AND 0);

-- A performer's secret "my packs" link; only the token's hash is kept.
CREATE TABLE performer_links (
    id            bigserial PRIMARY KEY,
    performer_id  bigint NOT NULL REFERENCES performers (id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE,
    revoked_at    timestamptz,
    last_seen_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX performer_links_performer_idx ON performer_links (performer_id);
