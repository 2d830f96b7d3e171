PRAGMA foreign_keys=OFF;            -- outside any transaction, or it is a no-op
BEGIN;
CREATE TABLE __bb_new_users (
    id INTEGER NOT NULL,
    name VARCHAR(100) NOT NULL,
    balance INTEGER DEFAULT 0 NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT ck_users_balance_nonneg CHECK (balance >= 0)
);
INSERT INTO __bb_new_users (id, name, balance)
  SELECT id, name, balance FROM users;
DROP TABLE users;
ALTER TABLE __bb_new_users RENAME TO users;
PRAGMA foreign_key_check(users);  -- must return no rows before COMMIT
COMMIT;
PRAGMA foreign_keys=ON;
