-- 0006_run_statistics: what incremental match runs need beyond 0004_runs (issue 7).
--
-- A statistics epoch pins the supply corpus's BM25 statistics (live line count, average length
-- and each query term's document frequency) so that a stored ranking stays comparable with a
-- later rescoring (matcher::CorpusStatistics, docs/matching.md "Incremental runs"). The epoch is
-- identified by the full run that opened it (match_runs.stats_epoch_run_id); terms are pinned as
-- queries first use them, by that run and by the incremental runs built on it.
-- (0005 is left to the lists module.)

ALTER TABLE match_runs ADD COLUMN stats_live_count INTEGER;
ALTER TABLE match_runs ADD COLUMN stats_average_length REAL;

CREATE TABLE match_run_statistics (
    epoch_run_id INTEGER NOT NULL REFERENCES match_runs (id),
    term         TEXT    NOT NULL,
    df           INTEGER NOT NULL CHECK (df >= 0),
    PRIMARY KEY (epoch_run_id, term)
) STRICT, WITHOUT ROWID;

-- Per demand: the text normaliser (best raw BM25 among the generated candidates) and its line,
-- so a later supply change can be checked without re-running the query (matcher/impact.hpp).
ALTER TABLE match_run_demands ADD COLUMN text_normaliser REAL NOT NULL DEFAULT 0;
ALTER TABLE match_run_demands ADD COLUMN text_normaliser_id INTEGER NOT NULL DEFAULT 0;
