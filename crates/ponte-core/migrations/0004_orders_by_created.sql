-- The dashboard's unfiltered pages (and searches) in order without sorting the whole ledger.
CREATE INDEX orders_by_created ON orders (created_at, order_id);
