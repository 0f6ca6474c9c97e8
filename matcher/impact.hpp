// Incremental-run support: decide, cheaply and without re-running a query, whether one changed
// supply line can change a demand's stored top-k, and find the demands a changed line can reach.
// The runs executor (api/match_runs) builds incremental runs on these; the design and its proof
// sketch are in docs/matching.md "Incremental runs".
//
// Preconditions for the guarantee "ImpactOfChange(...) == false => a fresh MatchDemand returns
// the stored top-k (ids and scores), normaliser and normaliser id":
//   * the stored result and the fresh query use the same MatchConfig, the same
//     MatchContext::today/units/chains/taxonomy, and the same pinned CorpusStatistics
//     (MatchContext::statistics), extended only by Pin() with the unpinned terms that queries
//     and impact checks report (a pinned term never changes value within an epoch);
//   * the demand line itself is unchanged (a changed demand is always rescored);
//   * every supply change since the stored result is checked (several changes: the top-k may
//     change only if at least one check says so).
// Then a line's raw BM25 for the query depends only on the line, and its score only on the
// line and the stored normaliser, so a line that is neither in the stored top-k nor the
// normaliser's line, and whose new version neither reaches the normaliser nor (passing the
// filters and the relevance gate) reaches the k-th score, cannot change the top-k.
//
// Thread-safety: pure functions of their arguments; safe to call concurrently (do not Pin the
// statistics while checks that read them run).
#pragma once

#include "matcher/domain.hpp"
#include "matcher/engine.hpp"
#include "matcher/index.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace renewmatch::matcher {

// What must be stored per demand with a result so that changes can be checked later.
struct StoredResultSummary {
    std::size_t k = 0;              // the k the run asked for
    std::vector<LineId> top_ids;    // the stored top-k ids, best first (size <= k)
    double kth_score = 0;           // score of the last stored candidate (meaningful when full)
    double text_normaliser = 0;     // MatchResult::text_normaliser
    LineId text_normaliser_id = 0;  // MatchResult::text_normaliser_id (0 = none)

    bool full() const { return top_ids.size() >= k; }
    static StoredResultSummary Of(const MatchResult& result, std::size_t k);
};

enum class ImpactReason : std::uint8_t {
    kNone,               // cannot change the top-k
    kInTopK,             // the changed line is in the stored top-k
    kSetNormaliser,      // the changed line set the stored text normaliser
    kReachesNormaliser,  // its new raw BM25 >= the stored normaliser (the normaliser may move)
    kTopKNotFull,        // it is a feasible candidate and the stored top-k had room
    kReachesKthScore,    // it is a feasible candidate scoring >= the stored k-th score
};
std::string_view ImpactReasonName(ImpactReason reason);

struct Impact {
    bool may_change = false;
    ImpactReason reason = ImpactReason::kNone;
    // Query terms the check used that were not pinned (term, df from `current`): Pin them.
    std::vector<std::pair<std::string, std::uint32_t>> unpinned_terms;
};

// Could the change of supply line `changed_id` change `demand`'s stored top-k?
// `new_version` is the line as it is now in `current` (the supply snapshot the incremental run
// scores against), or nullptr when it was withdrawn. `context.statistics` should be the pinned
// statistics the stored result was computed with (null = exact statistics of `current`, which
// is sound only when the catalog's statistics did not change, i.e. in tests).
// Cost: one analysis of the line plus the filters and ScorePair for one pair.
Impact ImpactOfChange(const DemandLine& demand,
                      const StoredResultSummary& stored,
                      LineId changed_id,
                      const SupplyLine* new_version,
                      const SupplySnapshot& current,
                      const MatchConfig& config,
                      const MatchContext& context);

// Demands in `demands` that supply line `line` can reach as a candidate: demands sharing an
// analysed text term with it, or whose compatible classification prefix (min_class_prefix
// digits) it has, found through the demand snapshot's postings. Call it with the old AND the new
// version of a changed line and take the union: every demand whose stored top-k the change can
// affect is in it (the property test checks this). Sorted ascending, unique.
// Cost: one posting lookup per distinct term of the line (O(segments) each) plus the postings.
std::vector<LineId> ReachableDemands(const DemandSnapshot& demands,
                                     const SupplyLine& line,
                                     const MatchConfig& config);

}  // namespace renewmatch::matcher
