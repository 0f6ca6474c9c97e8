-- 0002_access: organisations, API keys and the append-only audit log (issue 3).
--
-- Times are unix milliseconds (UTC). Identifiers are SQLite rowids, exposed as integers.

-- Organisations. `uscc` is the canonical (upper-case) unified social credit code, unique when
-- present; it is required for every kind except 'regulator' (the bootstrap administrator
-- organisation has none). `region` is a GB/T 2260 significant-prefix code, `sector` a
-- GB/T 4754-2017 code; both are validated by the api layer against data/.
CREATE TABLE orgs (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind       TEXT    NOT NULL CHECK (kind IN ('buyer', 'supplier', 'both', 'regulator')),
    uscc       TEXT    CHECK (uscc IS NULL OR length(uscc) = 18),
    region     TEXT    NOT NULL DEFAULT '' CHECK (region = '' OR length(region) IN (2, 4, 6)),
    sector     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    revision   INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1),
    CHECK (uscc IS NOT NULL OR kind = 'regulator')
) STRICT;
CREATE UNIQUE INDEX orgs_uscc ON orgs (uscc) WHERE uscc IS NOT NULL;

-- The industrial chains/clusters an organisation belongs to (chain ids from data/chains).
CREATE TABLE org_chains (
    org_id INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    chain  TEXT    NOT NULL CHECK (length(chain) BETWEEN 1 AND 64),
    PRIMARY KEY (org_id, chain)
) STRICT, WITHOUT ROWID;

-- API keys. Only a SHA-256 hash of the secret is stored (see api/keys_secret.hpp). A key is
-- inserted with an all-zero hash and given its real hash in the same transaction, because the
-- hash covers the key's own id; after that the hash can never change. A revoked key stays (the
-- audit log refers to it) and can never be un-revoked.
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    role        TEXT    NOT NULL CHECK (role IN ('admin', 'buyer', 'supplier', 'job')),
    name        TEXT    NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    secret_hash BLOB    NOT NULL CHECK (length(secret_hash) = 32),
    created_at  INTEGER NOT NULL,
    created_by  INTEGER,  -- the key that created this one; NULL when created offline (CLI)
    revoked_at  INTEGER
) STRICT;
CREATE INDEX api_keys_org ON api_keys (org_id, id);

CREATE TRIGGER api_keys_hash_set_once
BEFORE UPDATE OF secret_hash ON api_keys
WHEN OLD.secret_hash <> zeroblob(32)
BEGIN
    SELECT RAISE(ABORT, 'api_keys.secret_hash is immutable');
END;

CREATE TRIGGER api_keys_no_unrevoke
BEFORE UPDATE OF revoked_at ON api_keys
WHEN OLD.revoked_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'api_keys.revoked_at cannot change once set');
END;

CREATE TRIGGER api_keys_no_delete
BEFORE DELETE ON api_keys
BEGIN
    SELECT RAISE(ABORT, 'api_keys rows are revoked, never deleted');
END;

-- The audit log: one row per write, written in the same transaction as the write. Append-only:
-- the triggers below make SQLite refuse every UPDATE and DELETE. Actor columns (key_id, org_id)
-- and subject_org_id have no foreign keys on purpose, so the log can never block or lose rows.
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY,
    at             INTEGER NOT NULL,
    request_id     TEXT    NOT NULL,
    key_id         INTEGER,           -- the acting key; NULL for offline (CLI) actions
    org_id         INTEGER,           -- the acting key's organisation
    action         TEXT    NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    entity_kind    TEXT    NOT NULL CHECK (length(entity_kind) BETWEEN 1 AND 64),
    entity_id      TEXT    NOT NULL,
    subject_org_id INTEGER,           -- the organisation the entity belongs to
    detail         TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_org ON audit_log (org_id, id);
CREATE INDEX audit_log_subject_org ON audit_log (subject_org_id, id);
CREATE INDEX audit_log_entity ON audit_log (entity_kind, entity_id, id);
CREATE INDEX audit_log_at ON audit_log (at, id);

CREATE TRIGGER audit_log_no_update
BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete
BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
