-- Quiet hours per user (minutes after midnight, overnight when the end is
-- not after the start, in the user's time zone or the instance's), and the
-- escalation order: critical alerts nobody acknowledges go to the users
-- with a rank, lowest first.
ALTER TABLE alert_subscriptions
    ADD COLUMN quiet_from      smallint CHECK (quiet_from BETWEEN 0 AND 1439),
    ADD COLUMN quiet_to        smallint CHECK (quiet_to BETWEEN 0 AND 1439),
    ADD COLUMN time_zone       text NOT NULL DEFAULT '',
    ADD COLUMN escalation_rank smallint UNIQUE CHECK (escalation_rank >= 1),
    ADD CONSTRAINT alert_subscriptions_quiet_check
        CHECK ((quiet_from IS NULL AND quiet_to IS NULL) OR (quiet_from IS NOT NULL AND quiet_to IS NOT NULL AND quiet_from <> quiet_to));

ALTER TABLE alert_deliveries
    DROP CONSTRAINT alert_deliveries_event_check,
    ADD CONSTRAINT alert_deliveries_event_check CHECK (event IN ('opened', 'acknowledged', 'resolved', 'escalated'));
