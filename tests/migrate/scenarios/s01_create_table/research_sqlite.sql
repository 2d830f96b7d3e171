CREATE TABLE tags (
    id INTEGER NOT NULL,
    label VARCHAR(50) NOT NULL,
    note TEXT,
    PRIMARY KEY (id)
);
