// Storage of match runs (tables of migration 0004_runs): the run rows and their lifecycle, the
// ranked results per demand, per-demand summaries, the top-k diff and the unassigned report.
//
// Lifecycle: queued -> running -> succeeded | failed | cancelled (queued -> cancelled too). The
// terminal transitions (FinishRun) only apply to a run that is not already terminal, so a late
// "succeeded" can never overwrite a "cancelled" or "failed". "Latest" for a scope is the newest
// run with status 'succeeded' (LatestSucceededRun); results of queued, running, failed and
// cancelled runs are stored under their own run id but never become latest.
//
// Free functions over a borrowed schema::Connection, so callers compose them inside one
// Database::Write (or Read) transaction.
// Errors: kConflict on a constraint violation, kBusy/kInternal from SQLite.
// Thread-safety: as the Connection's (one thread at a time).
#pragma once

#include "schema/errc.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace renewmatch::schema {

class Connection;

// Number of feature values stored per result (matcher::kFeatureCount; checked in run_store.cpp).
inline constexpr std::size_t kRunFeatureCount = 10;

// Which open demand lines a run covers. Empty / nullopt = no filter on that dimension.
struct RunScope {
    std::string classification_prefix;   // classification id prefix ("4213")
    std::string region;                  // delivery region prefix ("32", "3205")
    std::optional<std::int64_t> org_id;  // the buyer organisation

    // Canonical text form: "class=<p>;region=<r>;org=<id>" (empty values kept).
    std::string Key() const;
    bool operator==(const RunScope&) const = default;
};

struct RunRecord {
    std::int64_t id = 0;
    std::string mode;  // full | incremental
    RunScope scope;
    std::string scope_key;
    bool allocate = false;
    std::string weights = "default";
    std::string config_version;
    std::int64_t top_k = 10;
    std::string status;  // queued | running | succeeded | failed | cancelled
    std::string runner;  // server | cli
    bool cancel_requested = false;
    std::int64_t progress_done = 0;
    std::int64_t progress_total = 0;
    std::int64_t demands_total = 0;
    std::int64_t demands_scored = 0;
    std::int64_t demands_carried = 0;
    std::int64_t results_count = 0;
    std::int64_t pairs_examined = 0;
    std::int64_t candidates_generated = 0;
    std::int64_t supply_lines = 0;
    std::int64_t entered_count = 0;
    std::int64_t left_count = 0;
    std::optional<double> allocated_quantity;
    std::optional<double> unassigned_quantity;
    std::int64_t change_seq = 0;
    std::optional<std::int64_t> as_of_day;
    std::optional<std::int64_t> stats_epoch_run_id;
    std::optional<std::int64_t> base_run_id;
    std::optional<std::int64_t> previous_run_id;
    std::string error;
    std::string note;
    std::optional<std::int64_t> requested_by_key;
    std::optional<std::int64_t> requested_by_org;
    std::string request_id;
    std::int64_t created_at_ms = 0;
    std::optional<std::int64_t> started_at_ms;
    std::optional<std::int64_t> finished_at_ms;
    std::optional<std::int64_t> heartbeat_at_ms;
    std::int64_t scoring_ms = 0;
    std::int64_t writing_ms = 0;
    std::int64_t allocation_ms = 0;
    // Set on the run that opened a statistics epoch (stats_epoch_run_id == id).
    std::optional<std::int64_t> stats_live_count;
    std::optional<double> stats_average_length;

    bool terminal() const {
        return status == "succeeded" || status == "failed" || status == "cancelled";
    }
};

// A run to create: status 'queued' (server) or 'running' (the CLI starts at once).
struct NewRun {
    std::string mode = "full";
    RunScope scope;
    bool allocate = false;
    std::string weights = "default";
    std::string config_version;
    std::int64_t top_k = 10;
    std::string status = "queued";
    std::string runner = "server";
    std::optional<std::int64_t> requested_by_key;
    std::optional<std::int64_t> requested_by_org;
    std::string request_id;
    std::int64_t now_ms = 0;
};

[[nodiscard]] Result<RunRecord> InsertRun(Connection& connection, const NewRun& run);
[[nodiscard]] Result<std::optional<RunRecord>> FindRun(Connection& connection, std::int64_t id);

// Runs in descending id order (newest first) with id < before_id (0 = from the newest).
struct RunQuery {
    std::string status;     // "" = any
    std::string scope_key;  // "" = any
    std::int64_t before_id = 0;
    std::int64_t limit = 100;
};
[[nodiscard]] Result<std::vector<RunRecord>> ListRuns(Connection& connection, const RunQuery& q);

// The newest succeeded run of a scope, if any.
[[nodiscard]] Result<std::optional<RunRecord>> LatestSucceededRun(Connection& connection,
                                                                  std::string_view scope_key);
// The newest succeeded run (any scope) that covered demand line `demand_id`, if any.
[[nodiscard]] Result<std::optional<std::int64_t>> LatestSucceededRunForDemand(
    Connection& connection, std::int64_t demand_id);
// Runs with status queued or running, oldest first.
[[nodiscard]] Result<std::vector<RunRecord>> ActiveRuns(Connection& connection);

// queued -> running: sets started_at, heartbeat. Not applied (nothing changes) when the run
// is not queued (e.g. cancelled while waiting).
// Whether a status transition applied (a plain struct: Database::Write cannot return
// Result<bool>, whose constructor from an error code is ambiguous).
struct Transition {
    bool applied = false;
};

[[nodiscard]] Result<Transition> StartRun(Connection& connection,
                                          std::int64_t id,
                                          std::int64_t now_ms);

// What the executor knows once it has its snapshot and plan (set while running).
struct RunPlan {
    std::int64_t change_seq = 0;
    std::int64_t as_of_day = 0;
    std::optional<std::int64_t> stats_epoch_run_id;
    std::optional<std::int64_t> base_run_id;
    std::optional<std::int64_t> previous_run_id;
    std::int64_t demands_total = 0;
    std::int64_t progress_total = 0;
    std::int64_t supply_lines = 0;
    std::string note;
};
[[nodiscard]] Result<void> SetRunPlan(Connection& connection,
                                      std::int64_t id,
                                      const RunPlan& plan,
                                      std::int64_t now_ms);

// Progress and running counts (also the heartbeat). Only applies while running.
struct RunProgress {
    std::int64_t progress_done = 0;
    std::int64_t demands_scored = 0;
    std::int64_t demands_carried = 0;
    std::int64_t results_count = 0;
    std::int64_t pairs_examined = 0;
    std::int64_t candidates_generated = 0;
    std::int64_t entered_count = 0;
    std::int64_t left_count = 0;
    std::int64_t scoring_ms = 0;
    std::int64_t writing_ms = 0;
    std::int64_t allocation_ms = 0;
};
[[nodiscard]] Result<void> UpdateProgress(Connection& connection,
                                          std::int64_t id,
                                          const RunProgress& progress,
                                          std::int64_t now_ms);

// Whether DELETE asked the run to stop (or it is already cancelled); kNotFound for no such run.
struct CancelState {
    bool requested = false;
};
[[nodiscard]] Result<CancelState> CancelRequested(Connection& connection, std::int64_t id);

// DELETE: a queued run becomes 'cancelled' at once; a running one gets cancel_requested = 1
// (the executor stops between batches and finishes it as cancelled). Returns the run after the
// change; nullopt when there is no such run. A terminal run is returned unchanged.
[[nodiscard]] Result<std::optional<RunRecord>> RequestCancel(Connection& connection,
                                                             std::int64_t id,
                                                             std::int64_t now_ms);

// Moves a non-terminal run to a terminal status (succeeded, failed or cancelled) with its final
// counts. Not applied when the run was already terminal (nothing changes).
struct RunFinish {
    std::string status;
    std::string error;
    RunProgress progress;
    std::optional<double> allocated_quantity;
    std::optional<double> unassigned_quantity;
};
[[nodiscard]] Result<Transition> FinishRun(Connection& connection,
                                           std::int64_t id,
                                           const RunFinish& finish,
                                           std::int64_t now_ms);

// Crash recovery: marks 'failed' (error = reason) every queued or running run of `runner`
// ("server" or "cli"; "" = any) whose heartbeat (or creation, when it never started) is older
// than `stale_before_ms` (pass INT64_MAX for "all"). Returns the ids changed.
[[nodiscard]] Result<std::vector<std::int64_t>> FailAbandonedRuns(Connection& connection,
                                                                  std::string_view runner,
                                                                  std::int64_t stale_before_ms,
                                                                  std::string_view reason,
                                                                  std::int64_t now_ms);

// ---- pinned corpus statistics (migration 0006) ------------------------------------------------

struct PinnedStatistics {
    std::int64_t live_count = 0;
    double average_length = 0;
    std::vector<std::pair<std::string, std::int64_t>> terms;  // (term, df), by term
};
// Records N and the average length on the epoch's run row.
[[nodiscard]] Result<void> SaveStatisticsEpoch(Connection& connection,
                                               std::int64_t epoch_run_id,
                                               std::int64_t live_count,
                                               double average_length);
// Pins terms of an epoch; a term already pinned keeps its df.
[[nodiscard]] Result<void> PinTerms(Connection& connection,
                                    std::int64_t epoch_run_id,
                                    std::span<const std::pair<std::string, std::uint32_t>> terms);
// The epoch's statistics; kNotFound when the run opened no epoch.
[[nodiscard]] Result<PinnedStatistics> LoadStatisticsEpoch(Connection& connection,
                                                           std::int64_t epoch_run_id);

// ---- results -----------------------------------------------------------------------------------

struct ResultRow {
    std::int64_t demand_id = 0;
    std::int64_t rank = 0;  // 1-based
    std::int64_t supply_id = 0;
    std::int64_t vendor_id = 0;
    double score = 0;
    std::array<double, kRunFeatureCount> features{};  // feature values (not contributions)
    std::optional<double> allocated_quantity;
    bool operator==(const ResultRow&) const = default;
};

[[nodiscard]] Result<void> InsertResults(Connection& connection,
                                         std::int64_t run_id,
                                         std::span<const ResultRow> rows);

// Results of a run in (demand_id, rank) order after (after_demand, after_rank); `demand_id`
// restricts to one demand, `demand_org_id` to one buyer's demand lines.
struct ResultQuery {
    std::int64_t run_id = 0;
    std::optional<std::int64_t> demand_id;
    std::int64_t after_demand = 0;
    std::int64_t after_rank = 0;
    std::int64_t limit = 100;
    // Only demands published by this organisation (a buyer reading a run's results).
    std::optional<std::int64_t> demand_org_id;
};
[[nodiscard]] Result<std::vector<ResultRow>> ListResults(Connection& connection,
                                                         const ResultQuery& q);
// Every result of a run for demands in [first_demand, last_demand], in (demand, rank) order.
[[nodiscard]] Result<std::vector<ResultRow>> ResultsInRange(Connection& connection,
                                                            std::int64_t run_id,
                                                            std::int64_t first_demand,
                                                            std::int64_t last_demand);

// Sets allocated_quantity of result (run, demand, rank).
[[nodiscard]] Result<void> SetAllocatedQuantity(Connection& connection,
                                                std::int64_t run_id,
                                                std::int64_t demand_id,
                                                std::int64_t rank,
                                                double quantity);

struct DemandSummary {
    std::int64_t demand_id = 0;
    std::int64_t demand_revision = 0;
    bool carried = false;
    std::int64_t candidates = 0;
    std::int64_t generated = 0;
    std::int64_t examined = 0;
    std::optional<double> kth_score;
    double quantity = 0;
    double text_normaliser = 0;
    std::int64_t text_normaliser_id = 0;
};
[[nodiscard]] Result<void> InsertDemandSummaries(Connection& connection,
                                                 std::int64_t run_id,
                                                 std::span<const DemandSummary> rows);
// Every summary of a run, in demand id order.
[[nodiscard]] Result<std::vector<DemandSummary>> ListDemandSummaries(Connection& connection,
                                                                     std::int64_t run_id);

// Copies demand `demand_id`'s results and summary (carried = 1) from `from_run` to `to_run`.
// Returns the number of result rows copied.
[[nodiscard]] Result<std::int64_t> CarryForward(Connection& connection,
                                                std::int64_t from_run,
                                                std::int64_t to_run,
                                                std::int64_t demand_id);

struct DiffRow {
    std::int64_t demand_id = 0;
    std::int64_t supply_id = 0;
    std::string change;  // entered | left
    std::optional<std::int64_t> old_rank;
    std::optional<std::int64_t> new_rank;
    bool operator==(const DiffRow&) const = default;
};
[[nodiscard]] Result<void> InsertDiffs(Connection& connection,
                                       std::int64_t run_id,
                                       std::span<const DiffRow> rows);
// Diff rows of a run (optionally one demand), in (demand, supply) order.
[[nodiscard]] Result<std::vector<DiffRow>> ListDiffs(Connection& connection,
                                                     std::int64_t run_id,
                                                     std::optional<std::int64_t> demand_id);

struct UnassignedRow {
    std::int64_t demand_id = 0;
    double quantity = 0;
    std::string reason;
};
[[nodiscard]] Result<void> InsertUnassigned(Connection& connection,
                                            std::int64_t run_id,
                                            std::span<const UnassignedRow> rows);
[[nodiscard]] Result<std::vector<UnassignedRow>> ListUnassigned(
    Connection& connection, std::int64_t run_id, std::optional<std::int64_t> demand_id);

}  // namespace renewmatch::schema
