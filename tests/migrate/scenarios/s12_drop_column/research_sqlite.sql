ALTER TABLE users DROP COLUMN legacy_code;   -- SQLite >= 3.35.0
