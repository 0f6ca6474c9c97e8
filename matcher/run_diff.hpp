// Per-demand difference between two rankings of the same demand (the previous run's and the new
// run's top-k): which candidates entered or left the top-k and which moved rank, so that
// notifications ("a new supplier matches your demand") can be built on stored runs.
//
// Rankings are lists of candidate ids, best first (MatchResult::candidates order: score
// descending, then id ascending). Ranks are 1-based. Only the first `k` entries of each side
// take part (pass the run's k; entries beyond it are ignored, so a previous run with a larger k
// compares fairly). A candidate id listed twice counts at its first position. With no previous
// run, pass an empty `previous`: everything entered.
//
// Output order (deterministic): `entered` by new rank, `left` by previous rank, `moved` by new
// rank. Complexity O(k log k). Pure; safe to call concurrently.
#pragma once

#include "matcher/domain.hpp"
#include "matcher/engine.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace renewmatch::matcher {

struct RankedLine {
    LineId id = 0;
    double score = 0;
};

struct TopKDiff {
    struct Entered {
        LineId id = 0;
        std::size_t rank = 0;  // in the new ranking
        double score = 0;
    };
    struct Left {
        LineId id = 0;
        std::size_t previous_rank = 0;
        double previous_score = 0;
    };
    struct Moved {
        LineId id = 0;
        std::size_t previous_rank = 0;
        std::size_t rank = 0;
        double previous_score = 0;
        double score = 0;
    };
    std::vector<Entered> entered;
    std::vector<Left> left;
    std::vector<Moved> moved;   // in both, at a different rank
    std::size_t unchanged = 0;  // in both at the same rank (scores may differ)

    bool changed() const { return !entered.empty() || !left.empty() || !moved.empty(); }
};

TopKDiff DiffTopK(std::span<const RankedLine> previous,
                  std::span<const RankedLine> current,
                  std::size_t k);

// The ranking of a match result (candidate ids and scores, best first).
std::vector<RankedLine> RankingOf(const MatchResult& result);

}  // namespace renewmatch::matcher
