// The batch entry point: the one place the matcher starts threads, because the caller sets the
// count (scripts/check-deps.sh exempts exactly this file from the no-threads rule).
#include "matcher/engine.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
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

std::function<void(std::size_t, const std::function<void(std::size_t)>&)> ThreadedFor(
    unsigned threads) {
    const unsigned workers = std::max(1u, threads);
    return [workers](std::size_t n, const std::function<void(std::size_t)>& body) {
        // Blocks of 64 items from a shared counter (items differ in cost).
        constexpr std::size_t kBlock = 64;
        std::atomic<std::size_t> next{0};
        auto work = [&] {
            for (std::size_t b = next.fetch_add(kBlock); b < n; b = next.fetch_add(kBlock)) {
                for (std::size_t i = b; i < std::min(n, b + kBlock); ++i) body(i);
            }
        };
        std::vector<std::thread> pool;
        pool.reserve(workers - 1);
        for (unsigned t = 1; t < workers && t * kBlock < n; ++t) pool.emplace_back(work);
        work();
        for (std::thread& thread : pool) thread.join();
    };
}

}  // namespace renewmatch::matcher
