CREATE UNIQUE INDEX CONCURRENTLY uq_users_org_email ON users (org_id, email);
ALTER TABLE users ADD CONSTRAINT uq_users_org_email UNIQUE USING INDEX uq_users_org_email;
