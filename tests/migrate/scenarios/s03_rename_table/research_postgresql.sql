ALTER TABLE tags RENAME TO labels;
ALTER SEQUENCE tags_id_seq RENAME TO labels_id_seq;   -- optional, cosmetic
ALTER INDEX tags_pkey RENAME TO labels_pkey;          -- optional, cosmetic
