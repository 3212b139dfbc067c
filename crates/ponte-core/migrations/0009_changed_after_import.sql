-- Imported orders cancelled or refunded in Nuvemshop afterwards, as each pass noticed them.
-- Ponte never changes a sale: the merchant is shown which one to look at until they say it
-- was checked. One row per order and kind of change, so a change is told once.
CREATE TABLE changed_after_import (
    order_id   INTEGER NOT NULL,
    flag       TEXT NOT NULL,
    message    TEXT NOT NULL,
    noticed_at TEXT NOT NULL,
    checked_at TEXT,
    PRIMARY KEY (order_id, flag)
);
