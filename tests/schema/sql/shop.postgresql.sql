-- A shop, as pg_dump-ish SQL: enums, checks, composite keys, uuid and now() defaults.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
SET client_encoding = 'UTF8';

CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled');
CREATE TYPE user_role AS ENUM ('customer', 'staff', 'admin');

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email varchar(320) NOT NULL UNIQUE,
    full_name varchar(200),
    role user_role NOT NULL DEFAULT 'customer',
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP
);
COMMENT ON TABLE users IS 'people who can sign in';
COMMENT ON COLUMN users.full_name IS 'as they want to be addressed';

CREATE TABLE addresses (
    id bigserial PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    line1 varchar(200) NOT NULL,
    city varchar(100) NOT NULL,
    country char(2) NOT NULL DEFAULT 'US',
    is_default boolean NOT NULL DEFAULT false
);
CREATE INDEX ix_addresses_user_id ON addresses (user_id);

CREATE TABLE categories (
    id serial PRIMARY KEY,
    parent_id integer REFERENCES categories (id) ON DELETE SET NULL,
    name varchar(100) NOT NULL,
    slug varchar(100) NOT NULL,
    CONSTRAINT uq_categories_slug UNIQUE (slug)
);

CREATE TABLE products (
    id serial PRIMARY KEY,
    sku varchar(32) NOT NULL,
    name varchar(200) NOT NULL,
    description text,
    price numeric(10, 2) NOT NULL CHECK (price >= 0),
    stock integer NOT NULL DEFAULT 0,
    weight real,
    rating double precision,
    attributes jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_products_stock_nonneg CHECK (stock >= 0)
);
CREATE UNIQUE INDEX ix_products_sku ON products (sku);

CREATE TABLE product_categories (
    product_id integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    category_id integer NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, category_id)
);

CREATE TABLE orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    shipping_address_id bigint,
    status order_status NOT NULL DEFAULT 'pending',
    total numeric(12, 2) NOT NULL DEFAULT 0,
    placed_at timestamptz NOT NULL DEFAULT now(),
    note text
);
ALTER TABLE orders ADD CONSTRAINT fk_orders_user_id_users
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT;
ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_shipping_fkey
    FOREIGN KEY (shipping_address_id) REFERENCES addresses (id) ON DELETE SET NULL;
CREATE INDEX ix_orders_user_placed ON orders (user_id, placed_at);

CREATE TABLE order_items (
    order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no smallint NOT NULL,
    product_id integer NOT NULL REFERENCES products (id),
    quantity integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(10, 2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE payments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE ON UPDATE CASCADE,
    amount numeric(12, 2) NOT NULL,
    provider varchar(40) NOT NULL,
    paid_at timestamp,
    raw_response jsonb
);

CREATE TABLE reviews (
    id bigserial PRIMARY KEY,
    product_id integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    rating smallint NOT NULL,
    body text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_reviews_rating_range CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT uq_reviews_product_id_user_id UNIQUE (product_id, user_id)
);

CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
    action varchar(50) NOT NULL,
    payload json,
    ip varchar(45),
    duration interval,
    happened_on date NOT NULL DEFAULT CURRENT_DATE,
    at_time time,
    attachment bytea
);
GRANT SELECT ON audit_log TO PUBLIC;
