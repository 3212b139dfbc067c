-- R8: when the sale of an `importing` order was (or may have been) sent under its sale number.
-- NULL with a sale number: the number is kept, and nothing sent under it was received.
ALTER TABLE orders ADD COLUMN sent_at TEXT;
