DROP TABLE receiver_leases;
DROP TABLE instances;
