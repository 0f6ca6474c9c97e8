// Match runs (issue 7): the executor that scores every open demand of a scope and stores the
// ranked results, and the /v1/match-runs routes.
//
// Executor (ExecuteRun). Given a run row in status 'running', it takes one MatchIndex View (one
// consistent pair of snapshots and the change-feed position they reflect), selects the open
// demand lines of the run's scope in id order and, batch by batch:
//   full         MatchDemandsBatch on `threads` threads (the only threads it starts, and the
//                matcher joins them before returning);
//   incremental  rescored: demands new or changed since the base run (the newest succeeded run
//                of the same scope, weights and k), and demands whose stored top-k the supply
//                lines changed since the base run's change_seq alter in a way that cannot be
//                patched exactly (matcher::PatchTopK: the normaliser moved, or a stored line
//                fell out and its replacement is unknown); patched: demands whose new top-k
//                PatchTopK derives exactly from the stored one and the changed lines' fresh
//                candidates (written like rescored rows, no query; counted as carried); every
//                other demand's results are carried forward by copying the base run's rows.
//                Both modes score with the base run's "as of" day, so carried, patched and
//                rescored rows describe the same day (docs/operations.md).
// Each batch is one small Database::Write (results, per-demand summaries, the top-k diff against
// the previous succeeded run of the scope, progress), so readers are never blocked for long.
// Between batches it checks for cancellation (DELETE sets cancel_requested) and for the stop
// flag (server shutdown). Allocation (when requested, matcher/allocation.hpp over every result
// of the run) and the status change to 'succeeded' commit together in one final transaction:
// a run is never half-visible as succeeded, and a failed or cancelled run never becomes latest.
//
// Routes (RegisterMatchRunRoutes):
//   POST   /v1/match-runs                 {mode, scope:{classificationPrefix, region, orgId},
//                                          allocate, weights, topK} -> 202 + run, Location
//   GET    /v1/match-runs                 ?status=&limit=&cursor=   newest first
//   GET    /v1/match-runs/{id}
//   DELETE /v1/match-runs/{id}            cancels (queued: at once; running: between batches)
//   GET    /v1/match-runs/{id}/results    ?demand=&limit=&cursor=
//   GET    /v1/match-runs/{id}/diff       ?demand=
// Roles: admin and job start and cancel runs; admin, job and buyer read runs; results are
// filtered to the caller's own demands for a buyer. Writes are audited.
//
// Thread-safety: ExecuteRun may run concurrently with requests (it only uses the Database's
// serialised writer and pooled readers, and the MatchIndex's thread-safe Current()). Two
// ExecuteRun calls for the same run id are a bug (the scheduler and the CLI never do that).
#pragma once

#include "api/error.hpp"
#include "api/result.hpp"
#include "matcher/engine.hpp"
#include "schema/errc.hpp"
#include "schema/run_store.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::schema {
class Database;
}  // namespace renewmatch::schema

namespace renewmatch::api {

class MatchIndex;
class Router;

// ---- configuration -----------------------------------------------------------------------------

// Named weight profiles (the `weights` of a run). "default" is matcher::MatchConfig{}; the others
// re-weight it. nullopt for an unknown name.
std::optional<matcher::MatchConfig> WeightsProfile(std::string_view name);
std::vector<std::string> WeightsProfileNames();

inline constexpr std::int64_t kDefaultRunTopK = 10;

// A decoded POST /v1/match-runs body.
struct RunRequest {
    std::string mode = "full";  // full | incremental
    schema::RunScope scope;
    bool allocate = false;
    std::string weights = "default";
    std::int64_t top_k = kDefaultRunTopK;
};
// Validates a JSON body: 400 for unreadable JSON, 422 naming each bad member (unknown members,
// mode not full|incremental, unknown weights profile, scope values out of shape, topK 1..100).
ApiResult<RunRequest> DecodeRunRequest(std::string_view body);

// The NewRun row for a request (config version from the weights profile).
schema::NewRun MakeNewRun(const RunRequest& request, std::string runner, std::int64_t now_ms);

// ---- executor ----------------------------------------------------------------------------------

// Matcher threads a run uses unless told otherwise (CLI --threads, RunSchedulerOptions): one per
// hardware thread (at least 1), so a full run keeps every core busy.
unsigned DefaultRunThreads();

struct RunEnvironment {
    schema::Database* db = nullptr;
    MatchIndex* index = nullptr;
    unsigned threads = 1;                     // matcher worker threads per batch (>= 1)
    std::size_t batch_size = 512;             // demands per batch and per write transaction
    bool catch_up = true;                     // index->CatchUp(db) before taking the View
    std::function<std::int64_t()> now_ms;     // empty = system clock
    const std::atomic<bool>* stop = nullptr;  // set = stop between batches (run -> failed)
    // A full run normally opens its own statistics epoch (pins the supply corpus's BM25
    // statistics as of its snapshot, and today's date); set this to score in the epoch (and on
    // the day) of an earlier run instead: what an incremental run of that epoch must equal.
    std::optional<std::int64_t> stats_epoch_run_id;
    // The day a run that opens its own epoch scores as of (days since 1970-01-01); empty = the
    // UTC day of now_ms(). Incremental runs always use their base run's day.
    std::optional<std::int64_t> as_of_day;
    // Called after every batch and at the end (from the executing thread).
    std::function<void(const schema::RunRecord&)> on_progress;
};

struct RunOutcome {
    std::string status;  // succeeded | failed | cancelled
    std::string error;   // for failed / cancelled
    schema::RunProgress progress;
};

// Executes run `run_id` (which must be 'running') to a terminal status; see the header comment.
RunOutcome ExecuteRun(const RunEnvironment& env, std::int64_t run_id);

// ---- the queue the routes submit to --------------------------------------------------------

// Implemented by server::RunScheduler (the job thread); routes only see this interface.
class RunQueue {
  public:
    virtual ~RunQueue() = default;
    // Admits a run for `scope_key`: refuses with 409 run_in_progress when a run of the same
    // scope is queued or running, 429 queue_full when the queue is full, 503 when stopping;
    // otherwise calls create() (which inserts the 'queued' row and its audit row in one
    // transaction and may itself refuse) and queues the run it returns.
    virtual ApiResult<schema::RunRecord> Submit(
        const std::string& scope_key,
        const std::function<ApiResult<schema::RunRecord>()>& create) = 0;
    // The run was cancelled through the database (queued: dropped from the queue; running: the
    // executor notices between batches). Wakes the job thread.
    virtual void Cancelled(std::int64_t run_id) = 0;
};

// JSON of a run resource (shared by the routes and the CLI's --json output).
std::string RunJson(const schema::RunRecord& run);

void RegisterMatchRunRoutes(Router& router);

// GET /v1/demands/{id}/candidates?run=latest|<id>: the stored ranking of demand `demand_id` in
// the newest succeeded run covering it (or run `run`), as a JSON body; for api/match.cpp to
// call when the `run` parameter is present. 404 when no such run covers the demand.
struct StoredCandidatesQuery {
    std::int64_t demand_id = 0;
    std::string run = "latest";  // "latest" or a run id
};
ApiResult<std::string> StoredCandidates(schema::Database& db, const StoredCandidatesQuery& query);

}  // namespace renewmatch::api
