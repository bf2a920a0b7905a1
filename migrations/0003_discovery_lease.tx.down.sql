ALTER TABLE discovery_tasks
    DROP COLUMN lease_expires_at,
    DROP COLUMN lease_owner;
