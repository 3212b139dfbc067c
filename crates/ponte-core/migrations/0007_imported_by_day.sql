-- The dashboard's chart of sales imported per day reads the last two weeks of imports without
-- walking every imported order.
CREATE INDEX orders_imported_at ON orders (imported_at) WHERE state = 'imported';
