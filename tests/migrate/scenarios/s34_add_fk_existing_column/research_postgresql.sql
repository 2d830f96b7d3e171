ALTER TABLE posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY(user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE posts VALIDATE CONSTRAINT posts_user_id_fkey;
