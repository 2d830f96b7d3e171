ALTER TABLE users DROP COLUMN email;   -- drops users_email_key with it
