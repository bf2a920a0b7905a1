-- A discovery run holds its task by a lease: the instance that runs it
-- renews lease_expires_at while it works. A run whose instance died (killed,
-- crashed, lost its host) stops renewing, and once the lease has expired any
-- instance may run the task again, so scheduled scans never stop for good.

ALTER TABLE discovery_tasks
    ADD COLUMN lease_owner      text NOT NULL DEFAULT '',
    ADD COLUMN lease_expires_at timestamptz;

-- Runs started before leases existed have no owner that will ever finish
-- them; let them be reclaimed at once.
UPDATE discovery_tasks SET lease_expires_at = now() WHERE status = 'running';
