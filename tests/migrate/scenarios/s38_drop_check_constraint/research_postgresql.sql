ALTER TABLE users DROP CONSTRAINT ck_users_balance_nonneg;
