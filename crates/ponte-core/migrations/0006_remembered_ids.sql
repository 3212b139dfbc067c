-- Conta Azul ids of the customers and products Ponte already resolved (issue 12): a returning
-- customer's next order costs no lookup. Keys are digests, never names or documents; an id that
-- Conta Azul refuses is forgotten and looked up again.
CREATE TABLE remembered_ids (
    kind TEXT NOT NULL CHECK (kind IN ('customer', 'product')),
    key_digest TEXT NOT NULL,
    contaazul_id TEXT NOT NULL,
    remembered_at TEXT NOT NULL,
    PRIMARY KEY (kind, key_digest)
) WITHOUT ROWID;
