// AppContext: the shared services a request handler may use, wired once at start-up by the
// composition root (server/) and passed to every handler through RequestContext::app.
//
// Ownership: non-owning pointers; whoever builds the AppContext keeps each service alive for
// as long as the api::Service that uses it. Other owners add members here (small additive
// edits): access its authenticator/rate limiter state, lists its reference data, matcher its
// index.
//
// Thread-safety: members are set before the first request and not reassigned afterwards; the
// services they point to are themselves thread-safe. `readiness` is thread-safe.
#pragma once

#include "api/readiness.hpp"

#include <cstdint>
#include <functional>

namespace renewmatch::schema {
class Database;
}  // namespace renewmatch::schema

namespace renewmatch::api {

class ReferenceData;  // api/reference.hpp (lists)
class UnitChecker;    // api/units.hpp (lists)
class MatchIndex;     // api/match_index.hpp (match-api)
class AnswerCache;    // api/answer_cache.hpp (match-api)
class RunQueue;       // api/match_runs.hpp (runs)

struct AppContext {
    // The database; null only in tests of routes that do not touch it (/readyz then says so).
    schema::Database* db = nullptr;
    // The clock: unix time in milliseconds. Empty = the system clock (see NowMs()).
    std::function<std::int64_t()> now_ms;
    // Start-up conditions reported by GET /readyz.
    Readiness readiness;

    // now_ms() when set, else the system clock.
    std::int64_t NowMs() const;

    // ---- members added by other owners below this line ----

    // lists (issue 4): CPV/HS/UN-CEFACT tables and the unit checker for uploaded lists (it
    // should wrap the same matcher::UnitSystem the matcher uses: UDUNITS has one parser). Null:
    // ReferenceData::Embedded() and a process-wide UnitCatalog.
    const ReferenceData* reference_data = nullptr;
    const UnitChecker* units = nullptr;

    // Called by every route that committed a change to lines (publish, patch, withdraw), after
    // the commit and before the response is sent, so that the next request from any client
    // sees the change in derived state (the live match index catches up from the `changes`
    // feed). Empty = nothing to notify. Must be thread-safe; errors are the callee's to log.
    std::function<void()> on_lines_changed;

    // Calls on_lines_changed when set.
    void LinesChanged() const;

    // match-api (issue 6): the live match index the match routes query (api/match_index.hpp).
    // Null: the match routes answer 503.
    MatchIndex* match_index = nullptr;
    // match-api: answers of the live match routes per (line, limit, change_seq, day, config)
    // (api/answer_cache.hpp). Null: every request computes its match.
    AnswerCache* answer_cache = nullptr;

    // runs (issue 7): the match-run queue (server::RunScheduler) POST/DELETE /v1/match-runs
    // submit to. Null: those routes answer 503 runs_unavailable; reads still work.
    RunQueue* runs = nullptr;
};

}  // namespace renewmatch::api
