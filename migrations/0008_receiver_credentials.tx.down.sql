DROP TABLE IF EXISTS receiver_credentials;
