#include "api/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace renewmatch::api {

TokenBucketLimiter::TokenBucketLimiter(RateLimitOptions options) : options_(options) {}

RateDecision TokenBucketLimiter::Acquire(std::int64_t key_id, std::int64_t now_ms) {
    RateDecision decision;
    if (!options_.enabled || options_.rate_per_second <= 0 || options_.burst < 1) {
        decision.remaining = options_.burst;
        return decision;
    }
    // Fibonacci hashing spreads sequential key ids over the shards.
    const auto mixed = static_cast<std::uint64_t>(key_id) * 0x9E3779B97F4A7C15ULL;
    Shard& shard = shards_[(mixed >> 32) % kShards];
    std::lock_guard lock(shard.mu);
    SweepLocked(shard, now_ms);
    auto [it, inserted] = shard.buckets.try_emplace(key_id, Bucket{options_.burst, now_ms});
    Bucket& bucket = it->second;
    if (!inserted && now_ms > bucket.updated_ms) {
        const double elapsed_s = static_cast<double>(now_ms - bucket.updated_ms) / 1000.0;
        bucket.tokens =
            std::min(options_.burst, bucket.tokens + elapsed_s * options_.rate_per_second);
        bucket.updated_ms = now_ms;
    }
    if (bucket.tokens >= 1.0) {
        bucket.tokens -= 1.0;
        decision.remaining = bucket.tokens;
        return decision;
    }
    decision.allowed = false;
    const double wait_s = (1.0 - bucket.tokens) / options_.rate_per_second;
    decision.retry_after_seconds =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait_s)));
    decision.remaining = bucket.tokens;
    return decision;
}

void TokenBucketLimiter::SweepLocked(Shard& shard, std::int64_t now_ms) const {
    // A bucket untouched for burst/rate seconds is full again, exactly like a new one, so it
    // can be forgotten. Sweep at most once per that interval to keep the cost amortised.
    const auto refill_ms =
        static_cast<std::int64_t>(std::ceil(options_.burst / options_.rate_per_second * 1000.0));
    if (now_ms - shard.last_sweep_ms < refill_ms) return;
    shard.last_sweep_ms = now_ms;
    std::erase_if(shard.buckets,
                  [&](const auto& entry) { return now_ms - entry.second.updated_ms >= refill_ms; });
}

std::size_t TokenBucketLimiter::TrackedKeysForTest() const {
    std::size_t total = 0;
    for (const auto& shard : shards_) {
        std::lock_guard lock(shard.mu);
        total += shard.buckets.size();
    }
    return total;
}

}  // namespace renewmatch::api
