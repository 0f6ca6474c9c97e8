-- 0004_runs: match runs (issue 7): the run rows, their ranked results per demand, per-demand
-- summaries (what an incremental run needs to decide what to carry forward), the top-k diff
-- against the previous run of the same scope, and the allocation's unassigned report.
--
-- Times are unix milliseconds (UTC). A run's results become visible as "latest" only through
-- its status: readers pick the newest run with status 'succeeded' for a scope, so rows of a run
-- that is still running, failed or was cancelled are never served as latest (schema/run_store.hpp).

CREATE TABLE match_runs (
    id                   INTEGER PRIMARY KEY,
    mode                 TEXT    NOT NULL CHECK (mode IN ('full', 'incremental')),
    -- Scope: which open demand lines the run covers ('' / NULL = no filter). scope_key is the
    -- canonical form of the three, used for "one run at a time per scope" and "latest".
    scope_classification TEXT    NOT NULL DEFAULT '' CHECK (length(scope_classification) <= 16),
    scope_region         TEXT    NOT NULL DEFAULT '' CHECK (length(scope_region) <= 6),
    scope_org_id         INTEGER,
    scope_key            TEXT    NOT NULL,
    allocate             INTEGER NOT NULL DEFAULT 0 CHECK (allocate IN (0, 1)),
    weights              TEXT    NOT NULL DEFAULT 'default',
    config_version       TEXT    NOT NULL,
    top_k                INTEGER NOT NULL CHECK (top_k BETWEEN 1 AND 100),
    status               TEXT    NOT NULL
                         CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    runner               TEXT    NOT NULL DEFAULT 'server' CHECK (runner IN ('server', 'cli')),
    -- Set by DELETE /v1/match-runs/{id} on a running run; the executor stops between batches.
    cancel_requested     INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    -- Progress: demands done of demands to do.
    progress_done        INTEGER NOT NULL DEFAULT 0,
    progress_total       INTEGER NOT NULL DEFAULT 0,
    -- Counts.
    demands_total        INTEGER NOT NULL DEFAULT 0,  -- open demands in scope
    demands_scored       INTEGER NOT NULL DEFAULT 0,  -- matched in this run
    demands_carried      INTEGER NOT NULL DEFAULT 0,  -- copied from the base run (incremental)
    results_count        INTEGER NOT NULL DEFAULT 0,
    pairs_examined       INTEGER NOT NULL DEFAULT 0,  -- candidates filtered and scored
    candidates_generated INTEGER NOT NULL DEFAULT 0,
    supply_lines         INTEGER NOT NULL DEFAULT 0,  -- live supply lines in the snapshot
    entered_count        INTEGER NOT NULL DEFAULT 0,  -- diff rows
    left_count           INTEGER NOT NULL DEFAULT 0,
    allocated_quantity   REAL,
    unassigned_quantity  REAL,
    -- What was scored: the change-feed position of the snapshot, the "as of" day and the pinned
    -- corpus-statistics epoch (an incremental run reuses its base run's day and epoch).
    change_seq           INTEGER NOT NULL DEFAULT 0,
    as_of_day            INTEGER,
    stats_epoch_run_id   INTEGER,
    base_run_id          INTEGER REFERENCES match_runs (id),
    previous_run_id      INTEGER REFERENCES match_runs (id),
    error                TEXT    NOT NULL DEFAULT '',
    note                 TEXT    NOT NULL DEFAULT '',
    requested_by_key     INTEGER,
    requested_by_org     INTEGER,
    request_id           TEXT    NOT NULL DEFAULT '',
    created_at           INTEGER NOT NULL,
    started_at           INTEGER,
    finished_at          INTEGER,
    heartbeat_at         INTEGER,
    scoring_ms           INTEGER NOT NULL DEFAULT 0,
    writing_ms           INTEGER NOT NULL DEFAULT 0,
    allocation_ms        INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX match_runs_scope ON match_runs (scope_key, status, id);
CREATE INDEX match_runs_status ON match_runs (status, id);

-- The ranked candidates of each demand in a run. `features` is the compact explanation: the
-- feature values (little-endian float64, matcher::Feature order); contribution = weight * value
-- with the run's weights profile.
CREATE TABLE match_results (
    run_id             INTEGER NOT NULL REFERENCES match_runs (id),
    demand_id          INTEGER NOT NULL,
    rank               INTEGER NOT NULL CHECK (rank >= 1),
    supply_id          INTEGER NOT NULL,
    vendor_id          INTEGER NOT NULL,
    score              REAL    NOT NULL,
    features           BLOB    NOT NULL,
    allocated_quantity REAL,
    PRIMARY KEY (run_id, demand_id, rank)
) STRICT, WITHOUT ROWID;

-- One row per demand a run covered: the demand's revision when scored, whether it was rescored
-- or carried forward, the matcher's counters and the k-th best score (the bar a changed supply
-- line must clear to enter this demand's top k in a later incremental run).
CREATE TABLE match_run_demands (
    run_id          INTEGER NOT NULL REFERENCES match_runs (id),
    demand_id       INTEGER NOT NULL,
    demand_revision INTEGER NOT NULL,
    carried         INTEGER NOT NULL CHECK (carried IN (0, 1)),
    candidates      INTEGER NOT NULL,
    generated       INTEGER NOT NULL,
    examined        INTEGER NOT NULL,
    kth_score       REAL,  -- NULL when fewer than k candidates
    quantity        REAL   NOT NULL,
    PRIMARY KEY (run_id, demand_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX match_run_demands_demand ON match_run_demands (demand_id, run_id);

-- Per demand, the supply lines that entered or left its top k since the previous succeeded run
-- of the same scope (previous_run_id), for notifications.
CREATE TABLE match_run_diffs (
    run_id    INTEGER NOT NULL REFERENCES match_runs (id),
    demand_id INTEGER NOT NULL,
    supply_id INTEGER NOT NULL,
    change    TEXT    NOT NULL CHECK (change IN ('entered', 'left')),
    old_rank  INTEGER,
    new_rank  INTEGER,
    PRIMARY KEY (run_id, demand_id, supply_id)
) STRICT, WITHOUT ROWID;

-- Allocation (allocate = 1): demand quantity left unassigned, and why.
CREATE TABLE match_run_unassigned (
    run_id    INTEGER NOT NULL REFERENCES match_runs (id),
    demand_id INTEGER NOT NULL,
    quantity  REAL    NOT NULL CHECK (quantity > 0),
    reason    TEXT    NOT NULL,
    PRIMARY KEY (run_id, demand_id)
) STRICT, WITHOUT ROWID;
