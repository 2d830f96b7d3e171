CREATE INDEX CONCURRENTLY ix_users_email ON users (email);   -- own file, outside a transaction
