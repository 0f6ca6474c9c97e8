// The match routes (issue 6): ranked candidates and opportunities from the live match index.
//
//   GET  /v1/demands/{id}/candidates?limit=&explain=    supply lines for a demand line
//   GET  /v1/supply/{id}/opportunities?limit=&explain=  open demand lines for a supply line
//   GET  /v1/projects/{id}/candidates?limit=            suppliers ranked by how many of the
//                                                       project's demand lines they can serve
//   POST /v1/match?limit=&explain=                      candidates for a demand line given in the
//                                                       body (a list line's JSON shape), decoded
//                                                       and validated like a published line and
//                                                       never stored: a preview
//
// Every answer carries the matcher's config version, the index's change-feed position
// (`changeSeq`), the counts generated / examined / rejected per filter, and, when there are no
// candidates, a `reason` naming why with the lines eliminated per filter. Each candidate has its
// rank, score, the line's key fields and the other party's organisation {id, name}; with
// explain (the default) every feature's name, value, weight and contribution and the filters
// passed. `limit` is 1..100 (default 10; projects: suppliers, default 10).
//
// Who sees what: candidates and previews are for buyers (their own demand lines only), supply
// opportunities for suppliers (their own supply lines only); administrators and `job` keys see
// everything. Another organisation's line is 403 (lines themselves are public, so 404 would
// only pretend); a role outside the route's is 403. Demand lines shown to a supplier go through
// the budget encoder (api/auth_fields.hpp): hidden budgets are absent, range budgets a band, and
// the price feature's explanation carries its value and contribution but never the budget.
// Before the index has finished loading every route is 503 `index_loading` (Retry-After: 1).
//
// Caching: with AppContext::answer_cache set, the matcher's result for the three GET routes comes
// from api::AnswerCache (key: route, id, limit, change_seq, day, config; see
// docs/match-api.md "The answer cache"); the JSON is rendered per request, so a cached answer is
// byte for byte the uncached one for every caller. POST /v1/match is never cached.
//
// Thread-safety: handlers are stateless; they read one MatchIndex::View per request.
#pragma once

#include "matcher/domain.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>

namespace renewmatch::api {

class AnswerCache;
class MatchIndex;
class Router;

void RegisterMatchRoutes(Router& router);

// What one warm-up pass did.
struct WarmUpResult {
    std::int64_t change_seq = 0;  // the view warmed
    matcher::Day today = 0;
    std::size_t demands = 0;   // open demand lines in the view
    std::size_t computed = 0;  // answers computed and stored
    std::size_t present = 0;   // already in the cache
    bool cancelled = false;    // stop() said so, or the index moved on
};

// Warm-up: stores in `cache` the answer GET /v1/demands/{id}/candidates (default limit, any
// explain, any caller) needs for every open demand line of the index's current view on day
// `today`, in id order, exactly as a request would (same key, same computation; a request for a
// demand being warmed waits for it instead of repeating it). Stops between two demands when
// `stop()` returns true or the index's change_seq has moved (those answers would be stale).
// One pass may be shared by `parts` calls on as many threads: the call with `part` (< parts)
// takes the open demands at positions part, part + parts, part + 2 * parts, ... of the id order,
// so the parts together cover every open demand once; each reports its own counts (`demands` is
// the whole view's count in every part).
WarmUpResult WarmDemandCandidates(const MatchIndex& index,
                                  AnswerCache& cache,
                                  matcher::Day today,
                                  const std::function<bool()>& stop,
                                  std::size_t part = 0,
                                  std::size_t parts = 1);

}  // namespace renewmatch::api
