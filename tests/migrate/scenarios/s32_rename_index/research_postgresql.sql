ALTER INDEX ix_users_email RENAME TO ix_users_email_lower;
