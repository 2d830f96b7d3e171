ALTER TABLE users DROP COLUMN legacy_code;
