-- affinity changes TEXT -> INTEGER: rebuild with an explicit cast
PRAGMA foreign_keys=OFF;            -- outside any transaction, or it is a no-op
BEGIN;
CREATE TABLE __bb_new_users (
    id INTEGER NOT NULL,
    name VARCHAR(100) NOT NULL,
    zip INTEGER,
    PRIMARY KEY (id)
);
INSERT INTO __bb_new_users (id, name, zip)
  SELECT id, name, CAST(zip AS INTEGER) FROM users;
DROP TABLE users;
ALTER TABLE __bb_new_users RENAME TO users;
PRAGMA foreign_key_check(users);  -- must return no rows before COMMIT
COMMIT;
PRAGMA foreign_keys=ON;
