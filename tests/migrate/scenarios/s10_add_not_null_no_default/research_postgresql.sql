-- default: refuse; with a backfill value:
ALTER TABLE users ADD COLUMN email VARCHAR(255);
UPDATE users SET email = '' WHERE email IS NULL;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
