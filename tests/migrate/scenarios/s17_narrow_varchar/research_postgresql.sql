-- pre-check: SELECT count(*) FROM users WHERE length(name) > 50;
ALTER TABLE users ALTER COLUMN name TYPE VARCHAR(50);
