CREATE TABLE posts (
    id SERIAL NOT NULL,
    title VARCHAR(200) NOT NULL,
    user_id INTEGER NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE TABLE comments (
    id SERIAL NOT NULL,
    body TEXT NOT NULL,
    post_id INTEGER NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(post_id) REFERENCES posts (id) ON DELETE CASCADE
);
