ALTER TABLE receivers DROP CONSTRAINT IF EXISTS receivers_device_type_check;
ALTER TABLE receivers ADD CONSTRAINT receivers_device_type_check
    CHECK (device_type IN ('ulxd', 'qlxd', 'axtd', 'slxd', 'uhfr', 'p10t', 'ewdx', 'em6000', 'ewg4'));
