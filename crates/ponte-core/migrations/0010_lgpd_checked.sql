-- LGPD requests checked against Ponte's own data (issue 20): the customer a request is about,
-- requests ignored (a store erasure for another store) or failed (retried, and said so), with
-- the merchant's sentence about each.
CREATE TABLE lgpd_requests_v2 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    INTEGER UNIQUE,                  -- the broker's event id: one request, once
    kind        TEXT NOT NULL CHECK (kind IN ('customers_redact', 'customers_data_request', 'store_redact')),
    received_at TEXT NOT NULL,
    reference   TEXT,                            -- the customer's id (redact), the request's id (data request), the store's id (erasure)
    customer    TEXT,                            -- the customer a customer request is about
    orders      INTEGER NOT NULL DEFAULT 0,      -- how many of Ponte's orders it concerned
    state       TEXT NOT NULL CHECK (state IN ('done', 'awaiting_confirmation', 'ignored', 'failed')),
    done_at     TEXT,
    file        TEXT,                            -- the data request's export
    note        TEXT                             -- why it was ignored or failed, in Portuguese
);
INSERT INTO lgpd_requests_v2 (id, event_id, kind, received_at, reference, customer, orders, state,
                              done_at, file)
    SELECT id, event_id, kind, received_at, reference,
           CASE WHEN kind = 'customers_redact' THEN reference END, orders, state, done_at, file
    FROM lgpd_requests;
DROP TABLE lgpd_requests;
ALTER TABLE lgpd_requests_v2 RENAME TO lgpd_requests;
