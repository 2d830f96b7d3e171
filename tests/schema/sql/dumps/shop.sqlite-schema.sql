CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL DEFAULT (lower(hex(randomblob(16)))),
    email VARCHAR(320) NOT NULL UNIQUE,
    full_name VARCHAR(200),
    role VARCHAR(8) NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'staff', 'admin')),
    is_active BOOLEAN NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE addresses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    line1 VARCHAR(200) NOT NULL,
    city VARCHAR(100) NOT NULL,
    country CHAR(2) NOT NULL DEFAULT 'US',
    is_default BOOLEAN NOT NULL DEFAULT 0
);
CREATE TABLE sqlite_sequence(name,seq);
CREATE INDEX ix_addresses_user_id ON addresses (user_id);
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES categories ON DELETE SET NULL,
    name VARCHAR(100) NOT NULL,
    slug VARCHAR(100) NOT NULL,
    CONSTRAINT uq_categories_slug UNIQUE (slug)
);
CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sku VARCHAR(32) NOT NULL,
    name VARCHAR(200) NOT NULL,
    description TEXT,
    price NUMERIC(10, 2) NOT NULL CHECK (price >= 0),
    stock INTEGER NOT NULL DEFAULT 0,
    weight REAL,
    attributes JSON,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_products_stock_nonneg CHECK (stock >= 0)
);
CREATE UNIQUE INDEX ix_products_sku ON products (sku);
CREATE TABLE product_categories (
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    category_id INTEGER NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, category_id)
);
CREATE TABLE orders (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    shipping_address_id INTEGER REFERENCES addresses (id) ON DELETE SET NULL,
    status VARCHAR(9) NOT NULL DEFAULT 'pending',
    total NUMERIC(12, 2) NOT NULL DEFAULT 0,
    placed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    note TEXT,
    CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled'))
);
CREATE INDEX ix_orders_user_placed ON orders (user_id, placed_at);
CREATE TABLE order_items (
    order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no SMALLINT NOT NULL,
    product_id INTEGER NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price NUMERIC(10, 2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
CREATE TABLE payments (
    id TEXT PRIMARY KEY NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE ON UPDATE CASCADE,
    amount NUMERIC(12, 2) NOT NULL,
    provider VARCHAR(40) NOT NULL,
    paid_at DATETIME,
    raw_response JSON
);
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    rating SMALLINT NOT NULL,
    body TEXT,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ck_reviews_rating_range CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT uq_reviews_product_id_user_id UNIQUE (product_id, user_id)
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    action VARCHAR(50) NOT NULL,
    payload JSON,
    ip VARCHAR(45),
    happened_on DATE NOT NULL DEFAULT CURRENT_DATE,
    at_time TIME,
    attachment BLOB
);
