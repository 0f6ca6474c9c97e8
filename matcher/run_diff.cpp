#include "matcher/run_diff.hpp"

#include <algorithm>
#include <map>

namespace renewmatch::matcher {
namespace {

// id -> (1-based rank, score) over the first k entries; a repeated id keeps its first position.
std::map<LineId, std::pair<std::size_t, double>> Positions(std::span<const RankedLine> ranking,
                                                           std::size_t k) {
    std::map<LineId, std::pair<std::size_t, double>> out;
    const std::size_t n = std::min(k, ranking.size());
    for (std::size_t i = 0; i < n; ++i)
        out.emplace(ranking[i].id, std::make_pair(i + 1, ranking[i].score));
    return out;
}

}  // namespace

TopKDiff DiffTopK(std::span<const RankedLine> previous,
                  std::span<const RankedLine> current,
                  std::size_t k) {
    const auto before = Positions(previous, k);
    const auto after = Positions(current, k);
    TopKDiff diff;
    for (const auto& [id, now] : after) {
        auto it = before.find(id);
        if (it == before.end()) {
            diff.entered.push_back({id, now.first, now.second});
        } else if (it->second.first != now.first) {
            diff.moved.push_back({id, it->second.first, now.first, it->second.second, now.second});
        } else {
            ++diff.unchanged;
        }
    }
    for (const auto& [id, then] : before) {
        if (!after.contains(id)) diff.left.push_back({id, then.first, then.second});
    }
    std::sort(diff.entered.begin(), diff.entered.end(),
              [](const auto& a, const auto& b) { return a.rank < b.rank; });
    std::sort(diff.left.begin(), diff.left.end(),
              [](const auto& a, const auto& b) { return a.previous_rank < b.previous_rank; });
    std::sort(diff.moved.begin(), diff.moved.end(),
              [](const auto& a, const auto& b) { return a.rank < b.rank; });
    return diff;
}

std::vector<RankedLine> RankingOf(const MatchResult& result) {
    std::vector<RankedLine> out;
    out.reserve(result.candidates.size());
    for (const Candidate& c : result.candidates) out.push_back({c.id, c.score});
    return out;
}

}  // namespace renewmatch::matcher
