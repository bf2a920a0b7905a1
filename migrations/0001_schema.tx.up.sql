-- Micboard's base schema. Every query pattern of app/store has an index here.

CREATE TABLE manufacturers (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name        text NOT NULL CHECK (name <> ''),
    active      boolean NOT NULL DEFAULT true,
    config      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO manufacturers (code, name, config) VALUES
    ('shure', 'Shure', '{"protocol": "tcp", "default_port": 2202}'),
    ('sennheiser', 'Sennheiser', '{"protocol": "ssc-udp", "default_port": 45}');

CREATE TABLE locations (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> ''),
    parent_id   bigint REFERENCES locations (id) ON DELETE RESTRICT,
    description text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
-- Sibling names are unique (two rooms called "Stage" under one building would be ambiguous).
CREATE UNIQUE INDEX locations_parent_name_key ON locations (coalesce(parent_id, 0), lower(name));
CREATE INDEX locations_parent_id_idx ON locations (parent_id);

CREATE TABLE receivers (
    id              bigserial PRIMARY KEY,
    manufacturer_id bigint NOT NULL REFERENCES manufacturers (id) ON DELETE RESTRICT,
    model           text NOT NULL DEFAULT '',
    device_type     text NOT NULL CHECK (device_type IN ('ulxd', 'qlxd', 'axtd', 'slxd', 'uhfr', 'p10t', 'ewdx', 'em6000')),
    host            text NOT NULL CHECK (btrim(host) <> ''),
    port            integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    name            text NOT NULL DEFAULT '',
    serial          text NOT NULL DEFAULT '',
    mac             text NOT NULL DEFAULT '',
    firmware        text NOT NULL DEFAULT '',
    rf_band         text NOT NULL DEFAULT '',
    location_id     bigint REFERENCES locations (id) ON DELETE RESTRICT,
    active          boolean NOT NULL DEFAULT true,
    online          boolean NOT NULL DEFAULT false,
    status          text NOT NULL DEFAULT 'discovered'
                    CHECK (status IN ('discovered', 'online', 'degraded', 'offline', 'maintenance', 'retired')),
    last_seen_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (host, port)
);
CREATE UNIQUE INDEX receivers_serial_key ON receivers (manufacturer_id, serial) WHERE serial <> '';
CREATE INDEX receivers_mac_idx ON receivers (mac) WHERE mac <> '';
CREATE INDEX receivers_active_online_idx ON receivers (active, online);
CREATE INDEX receivers_manufacturer_id_idx ON receivers (manufacturer_id);
CREATE INDEX receivers_device_type_idx ON receivers (device_type);
CREATE INDEX receivers_location_id_idx ON receivers (location_id);
CREATE INDEX receivers_updated_at_idx ON receivers (updated_at);

CREATE TABLE channels (
    id             bigserial PRIMARY KEY,
    receiver_id    bigint NOT NULL REFERENCES receivers (id) ON DELETE CASCADE,
    number         integer NOT NULL CHECK (number BETWEEN 1 AND 8),
    name           text NOT NULL DEFAULT '',
    frequency_khz  integer CHECK (frequency_khz IS NULL OR frequency_khz BETWEEN 1 AND 10000000),
    -- An override holds only while the device still reports override_device_name.
    override_name        text NOT NULL DEFAULT '',
    override_device_name text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (receiver_id, number)
);

CREATE TABLE transmitters (
    id               bigserial PRIMARY KEY,
    channel_id       bigint NOT NULL UNIQUE REFERENCES channels (id) ON DELETE CASCADE,
    model            text NOT NULL DEFAULT '',
    -- NULL means the device does not know (it sent 255): never "low".
    battery_bars     smallint CHECK (battery_bars BETWEEN 0 AND 5),
    battery_percent  smallint CHECK (battery_percent BETWEEN 0 AND 100),
    battery_minutes  integer CHECK (battery_minutes >= 0),
    battery_type     text NOT NULL DEFAULT '',
    rf_level_dbm     real,
    antenna          text NOT NULL DEFAULT '',
    audio_level_dbfs real,
    quality          smallint CHECK (quality BETWEEN 0 AND 100),
    tx_offset_db     smallint,
    muted            boolean NOT NULL DEFAULT false,
    status           text NOT NULL DEFAULT 'UNKNOWN',
    last_seen_at     timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transmitters_battery_bars_idx ON transmitters (battery_bars) WHERE battery_bars IS NOT NULL;
CREATE INDEX transmitters_battery_percent_idx ON transmitters (battery_percent) WHERE battery_percent IS NOT NULL;
CREATE INDEX transmitters_last_seen_at_idx ON transmitters (last_seen_at);

CREATE TABLE performers (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> ''),
    role        text NOT NULL DEFAULT '',
    notes       text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX performers_name_idx ON performers (lower(name));

CREATE TABLE assignments (
    id                    bigserial PRIMARY KEY,
    performer_id          bigint NOT NULL REFERENCES performers (id) ON DELETE CASCADE,
    channel_id            bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    priority              text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'critical')),
    notes                 text NOT NULL DEFAULT '',
    active                boolean NOT NULL DEFAULT true,
    alert_battery_low     boolean NOT NULL DEFAULT true,
    alert_signal_loss     boolean NOT NULL DEFAULT true,
    alert_audio_low       boolean NOT NULL DEFAULT false,
    alert_device_offline  boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
-- One active assignment per channel; the service maps a violation to ErrAlreadyAssigned.
CREATE UNIQUE INDEX assignments_channel_active_key ON assignments (channel_id) WHERE active;
CREATE INDEX assignments_performer_id_idx ON assignments (performer_id);
CREATE INDEX assignments_channel_id_idx ON assignments (channel_id);

CREATE TABLE connections (
    id                 bigserial PRIMARY KEY,
    receiver_id        bigint NOT NULL UNIQUE REFERENCES receivers (id) ON DELETE CASCADE,
    status             text NOT NULL DEFAULT 'connecting'
                       CHECK (status IN ('connecting', 'connected', 'disconnected', 'error', 'stopped')),
    connected_at       timestamptz,
    last_message_at    timestamptz,
    disconnected_at    timestamptz,
    error_message      text NOT NULL DEFAULT '',
    error_count        integer NOT NULL DEFAULT 0 CHECK (error_count >= 0),
    last_error_at      timestamptz,
    reconnect_attempts integer NOT NULL DEFAULT 0 CHECK (reconnect_attempts >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connections_status_idx ON connections (status);
CREATE INDEX connections_last_message_at_idx ON connections (last_message_at);

CREATE TABLE discovery_tasks (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL CHECK (btrim(name) <> ''),
    kind             text NOT NULL CHECK (kind IN ('manual', 'cidr', 'slp', 'mdns')),
    target           text NOT NULL DEFAULT '',
    manufacturer_id  bigint REFERENCES manufacturers (id) ON DELETE SET NULL,
    enabled          boolean NOT NULL DEFAULT true,
    interval_seconds integer NOT NULL DEFAULT 3600 CHECK (interval_seconds >= 60),
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'success', 'failed')),
    last_run_at      timestamptz,
    last_error       text NOT NULL DEFAULT '',
    scanned          integer NOT NULL DEFAULT 0 CHECK (scanned >= 0),
    found            integer NOT NULL DEFAULT 0 CHECK (found >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX discovery_tasks_due_idx ON discovery_tasks (last_run_at) WHERE enabled;

CREATE TABLE discovered_devices (
    id               bigserial PRIMARY KEY,
    task_id          bigint REFERENCES discovery_tasks (id) ON DELETE SET NULL,
    manufacturer_id  bigint NOT NULL REFERENCES manufacturers (id) ON DELETE CASCADE,
    host             text NOT NULL CHECK (btrim(host) <> ''),
    port             integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    model            text NOT NULL DEFAULT '',
    name             text NOT NULL DEFAULT '',
    channels         integer NOT NULL DEFAULT 0 CHECK (channels BETWEEN 0 AND 8),
    serial           text NOT NULL DEFAULT '',
    mac              text NOT NULL DEFAULT '',
    state            text NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'approved', 'rejected', 'duplicate')),
    receiver_id      bigint REFERENCES receivers (id) ON DELETE SET NULL,
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (host, port)
);
CREATE INDEX discovered_devices_state_idx ON discovered_devices (state);
CREATE INDEX discovered_devices_serial_idx ON discovered_devices (serial) WHERE serial <> '';

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    username       text NOT NULL CHECK (username ~ '^[A-Za-z0-9._-]{1,64}$'),
    password_hash  text NOT NULL,
    role           text NOT NULL DEFAULT 'viewer' CHECK (role IN ('viewer', 'operator', 'admin')),
    active         boolean NOT NULL DEFAULT true,
    last_login_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
