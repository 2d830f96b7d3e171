CREATE UNIQUE INDEX uq_users_org_email ON users (org_id, email);
