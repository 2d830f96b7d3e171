-- default: refuse (exit 2) -- users has rows and SQLite rejects ADD COLUMN NOT NULL without DEFAULT.
-- with an explicit backfill value (e.g. --backfill users.email=''):
PRAGMA foreign_keys=OFF;            -- outside any transaction, or it is a no-op
BEGIN;
CREATE TABLE __bb_new_users (
    id INTEGER NOT NULL,
    name VARCHAR(100) NOT NULL,
    email VARCHAR(255) NOT NULL,
    PRIMARY KEY (id)
);
INSERT INTO __bb_new_users (id, name, email)
  SELECT id, name, '' FROM users;
DROP TABLE users;
ALTER TABLE __bb_new_users RENAME TO users;
PRAGMA foreign_key_check(users);  -- must return no rows before COMMIT
COMMIT;
PRAGMA foreign_keys=ON;
