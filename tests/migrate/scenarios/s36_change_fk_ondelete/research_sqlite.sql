PRAGMA foreign_keys=OFF;            -- outside any transaction, or it is a no-op
BEGIN;
CREATE TABLE __bb_new_posts (
    id INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    user_id INTEGER NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
INSERT INTO __bb_new_posts (id, title, user_id)
  SELECT id, title, user_id FROM posts;
DROP TABLE posts;
ALTER TABLE __bb_new_posts RENAME TO posts;
PRAGMA foreign_key_check(posts);  -- must return no rows before COMMIT
COMMIT;
PRAGMA foreign_keys=ON;
