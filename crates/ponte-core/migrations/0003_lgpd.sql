-- LGPD requests Nuvemshop forwarded through the broker, and what Ponte did about each.
CREATE TABLE lgpd_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    INTEGER UNIQUE,                  -- the broker's event id: one request, once
    kind        TEXT NOT NULL CHECK (kind IN ('customers_redact', 'customers_data_request', 'store_redact')),
    received_at TEXT NOT NULL,
    reference   TEXT,                            -- the customer's id (redact) or the request's id (data request)
    orders      INTEGER NOT NULL DEFAULT 0,      -- how many of Ponte's orders it concerned
    state       TEXT NOT NULL CHECK (state IN ('done', 'awaiting_confirmation')),
    done_at     TEXT,
    file        TEXT                             -- the data request's export
);
