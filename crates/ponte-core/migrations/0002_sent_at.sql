-- R8: an `importing` order's sale may exist in Conta Azul under its sale number.
-- sent_at: when it was last sent (or may have been) under that number.
-- number_taken: Conta Azul has refused that number as already used; it is not sent under it again.
ALTER TABLE orders ADD COLUMN sent_at TEXT;
ALTER TABLE orders ADD COLUMN number_taken INTEGER NOT NULL DEFAULT 0;
