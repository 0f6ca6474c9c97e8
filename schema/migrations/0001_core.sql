-- 0001_core: the core tables every later migration may rely on.
--
-- meta: small key/value settings owned by the application (e.g. the instance id, the time the
-- database was created). Keys are namespaced by owner: "core.", "access.", "lists.", "matcher.".
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO meta (key, value) VALUES ('core.created_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
