ALTER TABLE users
    DROP CONSTRAINT users_password_hash_check,
    DROP COLUMN session_epoch;
