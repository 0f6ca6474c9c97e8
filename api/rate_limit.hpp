// Per-key request rate limiting with token buckets.
//
// Each API key has a bucket holding up to `burst` tokens that refills at `rate_per_second`. A
// request takes one token; with none left it is refused (429) and told, in whole seconds
// rounded up, when the next token will be there (Retry-After). Time is passed in by the caller
// (unix milliseconds), so tests need no sleeps.
//
// Buckets live in `kShards` independent shards, each behind its own mutex and chosen by the key
// id, so a flood of requests on one key contends on one shard only and other keys keep their
// own locks. Idle buckets are dropped once they would be full again (a full bucket and an absent
// one behave the same), which bounds memory by the number of recently active keys.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace renewmatch::api {

struct RateLimitOptions {
    bool enabled = true;
    double rate_per_second = 50.0;  // sustained requests per second per key
    double burst = 200.0;           // bucket size: requests allowed back to back
};

struct RateDecision {
    bool allowed = true;
    std::int64_t retry_after_seconds = 0;  // set when !allowed; >= 1
    double remaining = 0;                  // tokens left after this request
};

class TokenBucketLimiter {
  public:
    static constexpr std::size_t kShards = 16;

    explicit TokenBucketLimiter(RateLimitOptions options);

    // Takes one token from `key_id`'s bucket at time `now_ms`.
    RateDecision Acquire(std::int64_t key_id, std::int64_t now_ms);

    const RateLimitOptions& options() const { return options_; }
    std::size_t TrackedKeysForTest() const;

  private:
    struct Bucket {
        double tokens = 0;
        std::int64_t updated_ms = 0;
    };
    struct Shard {
        mutable std::mutex mu;
        std::unordered_map<std::int64_t, Bucket> buckets;  // guarded by mu
        std::int64_t last_sweep_ms = 0;                    // guarded by mu
    };

    void SweepLocked(Shard& shard, std::int64_t now_ms) const;

    const RateLimitOptions options_;
    std::array<Shard, kShards> shards_;
};

}  // namespace renewmatch::api
