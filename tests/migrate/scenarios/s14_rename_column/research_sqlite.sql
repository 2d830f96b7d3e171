ALTER TABLE users RENAME COLUMN name TO full_name;   -- SQLite >= 3.25.0
