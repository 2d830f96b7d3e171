PRAGMA foreign_keys=OFF;            -- outside any transaction, or it is a no-op
BEGIN;
CREATE TABLE __bb_new_memberships (
    user_id INTEGER NOT NULL,
    group_id INTEGER NOT NULL,
    role VARCHAR(20) DEFAULT 'member' NOT NULL,
    PRIMARY KEY (user_id, group_id, role)
);
INSERT INTO __bb_new_memberships (user_id, group_id, role)
  SELECT user_id, group_id, role FROM memberships;
DROP TABLE memberships;
ALTER TABLE __bb_new_memberships RENAME TO memberships;
PRAGMA foreign_key_check(memberships);  -- must return no rows before COMMIT
COMMIT;
PRAGMA foreign_keys=ON;
