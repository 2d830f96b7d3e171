DROP INDEX ix_posts_user_created;
CREATE INDEX ix_posts_user_created ON posts (created_at, user_id);
