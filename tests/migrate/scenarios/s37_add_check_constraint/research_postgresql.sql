ALTER TABLE users ADD CONSTRAINT ck_users_balance_nonneg CHECK (balance >= 0) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT ck_users_balance_nonneg;
