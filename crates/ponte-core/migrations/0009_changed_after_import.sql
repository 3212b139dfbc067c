-- Orders cancelled or refunded in Nuvemshop after Ponte saw them paid, as each pass noticed
-- them. Ponte never changes a sale: once the order is imported, the merchant is shown which
-- sale to look at until they say it was checked. One row per order and kind of change, so a
-- change is told once.
CREATE TABLE changed_after_import (
    order_id   INTEGER NOT NULL,
    flag       TEXT NOT NULL,
    returned   TEXT,             -- how the money went back, in the admin's words (a refund)
    noticed_at TEXT NOT NULL,
    checked_at TEXT,
    PRIMARY KEY (order_id, flag)
);
