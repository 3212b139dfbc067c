-- The dashboard's search (issue 12): a search of three characters or more finds its orders
-- through a trigram index (substrings, any case, with or without accents) instead of reading
-- every row of the ledger. Triggers keep it in step with every write: imports, retries and
-- LGPD erasures alike.
CREATE VIRTUAL TABLE orders_search USING fts5(
    number,
    customer_name,
    sale_number,
    tokenize = 'trigram remove_diacritics 1'
);
-- An erased customer's name leaves no trace in the index (LGPD): deleted entries are removed
-- from it at once rather than at the next merge.
INSERT INTO orders_search (orders_search, rank) VALUES ('secure-delete', 1);
INSERT INTO orders_search (rowid, number, customer_name, sale_number)
    SELECT order_id, number, customer_name, sale_number FROM orders;
CREATE TRIGGER orders_search_insert AFTER INSERT ON orders BEGIN
    INSERT INTO orders_search (rowid, number, customer_name, sale_number)
        VALUES (new.order_id, new.number, new.customer_name, new.sale_number);
END;
CREATE TRIGGER orders_search_update AFTER UPDATE OF number, customer_name, sale_number ON orders
BEGIN
    UPDATE orders_search
        SET number = new.number, customer_name = new.customer_name, sale_number = new.sale_number
        WHERE rowid = old.order_id;
END;
CREATE TRIGGER orders_search_delete AFTER DELETE ON orders BEGIN
    DELETE FROM orders_search WHERE rowid = old.order_id;
END;
