DROP INDEX CONCURRENTLY ix_users_email;   -- outside a transaction
