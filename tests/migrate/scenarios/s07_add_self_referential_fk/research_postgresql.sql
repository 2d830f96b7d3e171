ALTER TABLE users ADD COLUMN manager_id INTEGER;
ALTER TABLE users ADD CONSTRAINT users_manager_id_fkey
    FOREIGN KEY(manager_id) REFERENCES users (id) ON DELETE SET NULL NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_manager_id_fkey;
