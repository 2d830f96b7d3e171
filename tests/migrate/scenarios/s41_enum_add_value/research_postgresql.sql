ALTER TYPE post_status ADD VALUE 'archived';   -- new value not usable in the same transaction
