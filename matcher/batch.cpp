// The batch entry point: the one place the matcher starts threads, because the caller sets the
// count (scripts/check-deps.sh exempts exactly this file from the no-threads rule).
#include "matcher/engine.hpp"

#include <atomic>
#include <thread>

namespace renewmatch::matcher {

std::vector<MatchResult> MatchDemandsBatch(const SupplySnapshot& snapshot,
                                           std::span<const DemandLine> demands,
                                           std::size_t k,
                                           const MatchConfig& config,
                                           const MatchContext& context,
                                           unsigned threads) {
    std::vector<MatchResult> results(demands.size());
    // Work is handed out one demand at a time from a shared counter: demands differ a lot in
    // cost (posting lengths), so static partitioning would leave threads idle.
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i = next.fetch_add(1); i < demands.size(); i = next.fetch_add(1)) {
            results[i] = MatchDemand(snapshot, demands[i], k, config, context);
        }
    };
    const unsigned workers = std::max(1u, threads);
    if (workers == 1) {
        work();
        return results;
    }
    std::vector<std::thread> pool;
    pool.reserve(workers - 1);
    for (unsigned t = 1; t < workers; ++t) pool.emplace_back(work);
    work();  // the calling thread is worker 0
    for (std::thread& thread : pool) thread.join();
    return results;
}

}  // namespace renewmatch::matcher
