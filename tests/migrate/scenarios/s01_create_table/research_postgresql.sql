CREATE TABLE tags (
    id SERIAL NOT NULL,
    label VARCHAR(50) NOT NULL,
    note TEXT,
    PRIMARY KEY (id)
);
