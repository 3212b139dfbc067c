-- The order ledger, settings and the audit of API exchanges.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE orders (
    order_id        INTEGER PRIMARY KEY,           -- Nuvemshop's internal order id
    number          INTEGER NOT NULL DEFAULT 0,    -- the number the merchant and buyer see
    state           TEXT NOT NULL CHECK (state IN ('queued', 'importing', 'imported', 'failed', 'skipped')),
    customer_name   TEXT,
    total           TEXT,                          -- decimal text, never a float
    created_at      TEXT,
    paid_at         TEXT,
    payload         TEXT,                          -- the order as Nuvemshop sent it
    sale_number     INTEGER,                       -- recorded before the sale is created (R8)
    sale_id         TEXT,
    error_code      TEXT,
    error_message   TEXT,
    error_hint      TEXT,
    error_details   TEXT,
    skip_reason     TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    first_seen_at   TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    imported_at     TEXT
);
CREATE INDEX orders_by_state ON orders (state, created_at, order_id);
CREATE INDEX orders_by_number ON orders (number);

CREATE TABLE audit (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id      INTEGER NOT NULL,
    at            TEXT NOT NULL,
    method        TEXT NOT NULL,
    url           TEXT NOT NULL,
    request_body  TEXT,
    status        INTEGER,
    response_body TEXT
);
CREATE INDEX audit_by_order ON audit (order_id, id);
