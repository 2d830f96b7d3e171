-- pre-check: SELECT count(*) FROM users WHERE status = 'draft';  -- must be 0
ALTER TYPE post_status RENAME TO post_status_old;
CREATE TYPE post_status AS ENUM ('published', 'archived');
ALTER TABLE users ALTER COLUMN status TYPE post_status USING status::text::post_status;
DROP TYPE post_status_old;
