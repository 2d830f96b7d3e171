CREATE UNIQUE INDEX uq_users_email ON users (email);   -- or rebuild to add a UNIQUE table constraint
