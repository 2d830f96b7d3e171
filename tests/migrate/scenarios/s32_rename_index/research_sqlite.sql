DROP INDEX ix_users_email;
CREATE INDEX ix_users_email_lower ON users (email);   -- SQLite has no ALTER INDEX ... RENAME
