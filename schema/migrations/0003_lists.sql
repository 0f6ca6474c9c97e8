-- 0003_lists: published lists (demand, supply, project), their lines, version history, the
-- change feed and idempotency keys (issue 4). Field meanings: docs/data-model.md.
--
-- Times are unix milliseconds (UTC); calendar dates are days since 1970-01-01 (matcher::Day).
-- A line's identity is (org_id, series, ref): it keeps its rowid across versions of its series,
-- its `revision` grows when its content changes, and a line dropped from a later version is kept
-- with status 'withdrawn'. `body` is the line's canonical JSON (as the API returns it); the typed
-- columns beside it are what filters and the matcher read.

-- One row per published version of a series. Exactly one version of a series is 'current'.
CREATE TABLE lists (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('demand', 'supply', 'project')),
    series          TEXT    NOT NULL CHECK (length(series) BETWEEN 1 AND 200),
    version         INTEGER NOT NULL CHECK (version >= 1),
    title           TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    period          TEXT    NOT NULL DEFAULT '' CHECK (length(period) <= 64),
    status          TEXT    NOT NULL CHECK (status IN ('current', 'superseded')),
    digest          TEXT    NOT NULL CHECK (length(digest) = 64),  -- SHA-256 of the request
    source_format   TEXT    NOT NULL CHECK (source_format IN ('json', 'csv')),
    source_encoding TEXT    NOT NULL DEFAULT '',
    line_count      INTEGER NOT NULL CHECK (line_count >= 0),
    added           INTEGER NOT NULL DEFAULT 0,
    changed         INTEGER NOT NULL DEFAULT 0,
    unchanged       INTEGER NOT NULL DEFAULT 0,
    withdrawn       INTEGER NOT NULL DEFAULT 0,
    published_at    INTEGER NOT NULL,
    published_by    INTEGER,            -- the API key (NULL for offline loads)
    request_id      TEXT    NOT NULL DEFAULT '',
    UNIQUE (org_id, kind, series, version)
) STRICT;
CREATE UNIQUE INDEX lists_current ON lists (org_id, kind, series) WHERE status = 'current';
CREATE INDEX lists_published ON lists (published_at, id);

CREATE TABLE demand_lines (
    id                    INTEGER PRIMARY KEY,
    org_id                INTEGER NOT NULL REFERENCES orgs (id),
    series                TEXT    NOT NULL,
    ref                   TEXT    NOT NULL CHECK (length(ref) BETWEEN 1 AND 200),
    list_id               INTEGER NOT NULL REFERENCES lists (id),  -- latest version holding it
    status                TEXT    NOT NULL CHECK (status IN ('open', 'awarded', 'closed', 'withdrawn')),
    revision              INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1),
    title                 TEXT    NOT NULL,
    classification_scheme TEXT    NOT NULL CHECK (classification_scheme IN ('CPV', 'HS')),
    classification_id     TEXT    NOT NULL,
    quantity              REAL    NOT NULL CHECK (quantity > 0),
    quantity_unit         TEXT    NOT NULL,
    budget_amount         REAL    CHECK (budget_amount IS NULL OR budget_amount >= 0),
    budget_currency       TEXT    NOT NULL DEFAULT 'CNY',
    budget_visibility     TEXT    NOT NULL DEFAULT 'public'
                          CHECK (budget_visibility IN ('public', 'range', 'hidden')),
    delivery_region       TEXT    NOT NULL CHECK (length(delivery_region) IN (2, 4, 6)),
    delivery_lat          REAL,
    delivery_lon          REAL,
    need_by               INTEGER,
    response_deadline     INTEGER,
    energy_efficiency_min INTEGER CHECK (energy_efficiency_min IS NULL OR energy_efficiency_min BETWEEN 1 AND 5),
    localization_rate_min REAL    CHECK (localization_rate_min IS NULL OR localization_rate_min BETWEEN 0 AND 1),
    second_hand_allowed   INTEGER NOT NULL DEFAULT 0 CHECK (second_hand_allowed IN (0, 1)),
    chain_segment         TEXT    NOT NULL DEFAULT '',
    body                  TEXT    NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    UNIQUE (org_id, series, ref)
) STRICT;
CREATE INDEX demand_lines_class ON demand_lines (classification_id, id);
CREATE INDEX demand_lines_region ON demand_lines (delivery_region, id);
CREATE INDEX demand_lines_updated ON demand_lines (updated_at, id);
CREATE INDEX demand_lines_list ON demand_lines (list_id, id);

-- Requirements on a demand line, in published order. Bounds are in `unit` (UDUNITS spelling).
CREATE TABLE requirements (
    line_id        INTEGER NOT NULL REFERENCES demand_lines (id) ON DELETE CASCADE,
    ord            INTEGER NOT NULL,
    name           TEXT    NOT NULL,
    min_value      REAL,
    max_value      REAL,
    expected_value REAL,
    unit           TEXT    NOT NULL DEFAULT '',
    allowed_values TEXT    NOT NULL DEFAULT '[]',  -- JSON array of strings
    equals_text    TEXT    NOT NULL DEFAULT '',
    mandatory      INTEGER NOT NULL CHECK (mandatory IN (0, 1)),
    PRIMARY KEY (line_id, ord)
) STRICT, WITHOUT ROWID;

-- Certification types a demand line requires.
CREATE TABLE required_certifications (
    line_id INTEGER NOT NULL REFERENCES demand_lines (id) ON DELETE CASCADE,
    type    TEXT    NOT NULL,
    PRIMARY KEY (line_id, type)
) STRICT, WITHOUT ROWID;

CREATE TABLE supply_lines (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES orgs (id),
    series                  TEXT    NOT NULL,
    sku                     TEXT    NOT NULL CHECK (length(sku) BETWEEN 1 AND 200),
    list_id                 INTEGER NOT NULL REFERENCES lists (id),
    status                  TEXT    NOT NULL CHECK (status IN ('active', 'suspended', 'withdrawn')),
    revision                INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1),
    title                   TEXT    NOT NULL,
    brand                   TEXT    NOT NULL DEFAULT '',
    model                   TEXT    NOT NULL DEFAULT '',
    classification_scheme   TEXT    NOT NULL CHECK (classification_scheme IN ('CPV', 'HS')),
    classification_id       TEXT    NOT NULL,
    price_amount            REAL    CHECK (price_amount IS NULL OR price_amount >= 0),
    price_currency          TEXT    NOT NULL DEFAULT 'CNY',
    price_valid_until       INTEGER,
    min_order_qty           REAL    NOT NULL DEFAULT 0 CHECK (min_order_qty >= 0),
    capacity_per_month      REAL    CHECK (capacity_per_month IS NULL OR capacity_per_month >= 0),
    lead_time_days          INTEGER CHECK (lead_time_days IS NULL OR lead_time_days >= 0),
    energy_efficiency_grade INTEGER CHECK (energy_efficiency_grade IS NULL OR energy_efficiency_grade BETWEEN 1 AND 5),
    localization_rate       REAL    CHECK (localization_rate IS NULL OR localization_rate BETWEEN 0 AND 1),
    first_of_kind           INTEGER NOT NULL DEFAULT 0 CHECK (first_of_kind IN (0, 1)),
    second_hand             INTEGER NOT NULL DEFAULT 0 CHECK (second_hand IN (0, 1)),
    chain_segment           TEXT    NOT NULL DEFAULT '',
    vendor_region           TEXT    NOT NULL DEFAULT '',
    last_confirmed_at       INTEGER NOT NULL DEFAULT 0,
    body                    TEXT    NOT NULL,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    UNIQUE (org_id, series, sku)
) STRICT;
CREATE INDEX supply_lines_class ON supply_lines (classification_id, id);
CREATE INDEX supply_lines_updated ON supply_lines (updated_at, id);
CREATE INDEX supply_lines_list ON supply_lines (list_id, id);

-- Attributes of a supply line: a value, a [min, max] range or a text, in `unit`.
CREATE TABLE attributes (
    line_id   INTEGER NOT NULL REFERENCES supply_lines (id) ON DELETE CASCADE,
    ord       INTEGER NOT NULL,
    name      TEXT    NOT NULL,
    value     REAL,
    min_value REAL,
    max_value REAL,
    unit      TEXT    NOT NULL DEFAULT '',
    text      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (line_id, ord)
) STRICT, WITHOUT ROWID;

-- Certifications a supply line holds; expires_at is a Day, NULL when it does not expire.
CREATE TABLE certifications (
    line_id    INTEGER NOT NULL REFERENCES supply_lines (id) ON DELETE CASCADE,
    ord        INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    number     TEXT    NOT NULL DEFAULT '',
    expires_at INTEGER,
    PRIMARY KEY (line_id, ord)
) STRICT, WITHOUT ROWID;

-- Regions a supply line serves (excluded = 0) or explicitly does not serve (excluded = 1).
-- No served rows means nationwide.
CREATE TABLE service_areas (
    line_id  INTEGER NOT NULL REFERENCES supply_lines (id) ON DELETE CASCADE,
    region   TEXT    NOT NULL CHECK (length(region) IN (2, 4, 6)),
    excluded INTEGER NOT NULL CHECK (excluded IN (0, 1)),
    PRIMARY KEY (line_id, excluded, region)
) STRICT, WITHOUT ROWID;
CREATE INDEX service_areas_region ON service_areas (region, line_id);

-- Additional classifications of demand and supply lines.
CREATE TABLE line_classifications (
    entity  TEXT    NOT NULL CHECK (entity IN ('demand', 'supply')),
    line_id INTEGER NOT NULL,
    ord     INTEGER NOT NULL,
    scheme  TEXT    NOT NULL CHECK (scheme IN ('CPV', 'HS')),
    code    TEXT    NOT NULL,
    PRIMARY KEY (entity, line_id, ord)
) STRICT, WITHOUT ROWID;

CREATE TABLE projects (
    id                   INTEGER PRIMARY KEY,
    org_id               INTEGER NOT NULL REFERENCES orgs (id),
    series               TEXT    NOT NULL,
    ref                  TEXT    NOT NULL CHECK (length(ref) BETWEEN 1 AND 200),
    list_id              INTEGER NOT NULL REFERENCES lists (id),
    status               TEXT    NOT NULL CHECK (status IN ('active', 'suspended', 'completed', 'withdrawn')),
    revision             INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1),
    name                 TEXT    NOT NULL,
    type                 TEXT    NOT NULL DEFAULT '',
    sector               TEXT    NOT NULL DEFAULT '',
    region               TEXT    NOT NULL DEFAULT '',
    filing_code          TEXT    NOT NULL DEFAULT '',
    stage                TEXT    NOT NULL DEFAULT 'planning',
    progress_pct         REAL    CHECK (progress_pct IS NULL OR progress_pct BETWEEN 0 AND 100),
    start_date           INTEGER,
    planned_completion   INTEGER,
    total_investment     REAL    CHECK (total_investment IS NULL OR total_investment >= 0),
    equipment_investment REAL    CHECK (equipment_investment IS NULL OR equipment_investment >= 0),
    body                 TEXT    NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    UNIQUE (org_id, series, ref)
) STRICT;
CREATE INDEX projects_list ON projects (list_id, id);

-- Project <-> demand links, by the demand line's ref within the project owner's demand lines.
CREATE TABLE project_demands (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    demand_ref TEXT    NOT NULL,
    PRIMARY KEY (project_id, demand_ref)
) STRICT, WITHOUT ROWID;

-- Every revision of every line (including the withdrawal), for history and audit.
CREATE TABLE line_history (
    id       INTEGER PRIMARY KEY,
    entity   TEXT    NOT NULL CHECK (entity IN ('demand', 'supply', 'project')),
    line_id  INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    list_id  INTEGER NOT NULL REFERENCES lists (id),
    status   TEXT    NOT NULL,
    body     TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    UNIQUE (entity, line_id, revision)
) STRICT;

-- The ordered change feed (GET /v1/changes?since=): one row per created, changed or withdrawn
-- line. `seq` only grows (AUTOINCREMENT never reuses a value).
CREATE TABLE changes (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    org_id   INTEGER NOT NULL,
    entity   TEXT    NOT NULL CHECK (entity IN ('demand', 'supply', 'project')),
    line_id  INTEGER NOT NULL,
    ref      TEXT    NOT NULL,
    change   TEXT    NOT NULL CHECK (change IN ('created', 'changed', 'withdrawn')),
    revision INTEGER NOT NULL,
    list_id  INTEGER NOT NULL
) STRICT;

-- Idempotency keys: the first response to (org, key) is replayed for retries of the same
-- request; the same key with a different request digest is refused.
CREATE TABLE idempotency_keys (
    org_id         INTEGER NOT NULL,
    key            TEXT    NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_digest TEXT    NOT NULL,
    status_code    INTEGER NOT NULL,
    response_body  TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (org_id, key)
) STRICT, WITHOUT ROWID;
