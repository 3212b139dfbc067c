-- Orders imported from before the activation date, period by period, as the merchant
-- confirmed them (issue: backfill). Kept as a record; the orders themselves are in `orders`.
CREATE TABLE backfills (
    id INTEGER PRIMARY KEY,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    queued INTEGER NOT NULL,
    recorded INTEGER NOT NULL
);
