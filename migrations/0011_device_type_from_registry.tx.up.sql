-- The device types are the device registry's (app/device): a vendor or a
-- family added in its own folder needs no migration. The service checks a
-- receiver's type against the registry; the column keeps only the shape.
ALTER TABLE receivers DROP CONSTRAINT IF EXISTS receivers_device_type_check;
ALTER TABLE receivers ADD CONSTRAINT receivers_device_type_check
    CHECK (device_type ~ '^[a-z][a-z0-9_+-]{0,31}$');
