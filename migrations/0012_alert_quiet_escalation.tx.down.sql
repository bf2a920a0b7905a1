DELETE FROM alert_deliveries WHERE event = 'escalated';
ALTER TABLE alert_deliveries
    DROP CONSTRAINT alert_deliveries_event_check,
    ADD CONSTRAINT alert_deliveries_event_check CHECK (event IN ('opened', 'acknowledged', 'resolved'));

ALTER TABLE alert_subscriptions
    DROP CONSTRAINT alert_subscriptions_quiet_check,
    DROP COLUMN escalation_rank,
    DROP COLUMN time_zone,
    DROP COLUMN quiet_to,
    DROP COLUMN quiet_from;
