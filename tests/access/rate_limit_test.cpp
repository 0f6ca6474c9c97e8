#include "api/rate_limit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace renewmatch::api {
namespace {

TEST(TokenBucketLimiter, BurstThenRefusalWithRetryAfter) {
    TokenBucketLimiter limiter({.enabled = true, .rate_per_second = 2.0, .burst = 5.0});
    const std::int64_t t0 = 1'700'000'000'000;
    for (int i = 0; i < 5; ++i) {
        EXPECT_TRUE(limiter.Acquire(7, t0).allowed) << i;
    }
    const RateDecision refused = limiter.Acquire(7, t0);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after_seconds, 1);  // one token in 0.5 s, rounded up
    // 499 ms later there is still less than one token; at 500 ms there is exactly one.
    EXPECT_FALSE(limiter.Acquire(7, t0 + 499).allowed);
    EXPECT_TRUE(limiter.Acquire(7, t0 + 500).allowed);
    EXPECT_FALSE(limiter.Acquire(7, t0 + 500).allowed);
}

TEST(TokenBucketLimiter, RetryAfterRoundsUpWholeSeconds) {
    TokenBucketLimiter limiter({.enabled = true, .rate_per_second = 0.1, .burst = 1.0});
    EXPECT_TRUE(limiter.Acquire(1, 0).allowed);
    const RateDecision refused = limiter.Acquire(1, 0);
    ASSERT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after_seconds, 10);
    const RateDecision later = limiter.Acquire(1, 2500);
    ASSERT_FALSE(later.allowed);
    EXPECT_EQ(later.retry_after_seconds, 8);  // 7.5 s left
    EXPECT_TRUE(limiter.Acquire(1, 10'000).allowed);
}

TEST(TokenBucketLimiter, KeysHaveIndependentBuckets) {
    TokenBucketLimiter limiter({.enabled = true, .rate_per_second = 1.0, .burst = 2.0});
    EXPECT_TRUE(limiter.Acquire(1, 0).allowed);
    EXPECT_TRUE(limiter.Acquire(1, 0).allowed);
    EXPECT_FALSE(limiter.Acquire(1, 0).allowed);
    for (std::int64_t key = 2; key < 100; ++key) {
        EXPECT_TRUE(limiter.Acquire(key, 0).allowed) << key;
    }
}

TEST(TokenBucketLimiter, RefillIsCappedAtBurstAndClockGoingBackIsHarmless) {
    TokenBucketLimiter limiter({.enabled = true, .rate_per_second = 10.0, .burst = 3.0});
    EXPECT_TRUE(limiter.Acquire(1, 0).allowed);
    // A long idle period refills to 3, not more.
    int allowed = 0;
    for (int i = 0; i < 10; ++i) allowed += limiter.Acquire(1, 1'000'000).allowed ? 1 : 0;
    EXPECT_EQ(allowed, 3);
    // Time going backwards neither refills nor breaks the bucket.
    EXPECT_FALSE(limiter.Acquire(1, 0).allowed);
}

TEST(TokenBucketLimiter, DisabledAllowsEverything) {
    TokenBucketLimiter limiter({.enabled = false, .rate_per_second = 1.0, .burst = 1.0});
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.Acquire(1, 0).allowed);
}

TEST(TokenBucketLimiter, IdleBucketsAreForgotten) {
    TokenBucketLimiter limiter({.enabled = true, .rate_per_second = 10.0, .burst = 10.0});
    for (std::int64_t key = 1; key <= 1000; ++key) ASSERT_TRUE(limiter.Acquire(key, 0).allowed);
    EXPECT_EQ(limiter.TrackedKeysForTest(), 1000u);
    // After burst/rate = 1 s every bucket is full again; touching each shard sweeps it.
    for (std::int64_t key = 1; key <= 64; ++key) ASSERT_TRUE(limiter.Acquire(key, 5'000).allowed);
    EXPECT_LE(limiter.TrackedKeysForTest(), 64u);
}

// A key hammered by several threads must not hold up other keys: they live in other shards
// (or, when they share one, the critical section is a few arithmetic operations). The test
// checks correctness under contention: the hammered key gets exactly its burst, and every
// other key's requests are all allowed.
TEST(TokenBucketLimiter, ConcurrentUseIsExactPerKey) {
    TokenBucketLimiter limiter({.enabled = true, .rate_per_second = 1e-3, .burst = 100.0});
    std::atomic<int> hammered_allowed{0};
    std::atomic<int> others_refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                if (limiter.Acquire(1, 0).allowed) ++hammered_allowed;
            }
        });
    }
    threads.emplace_back([&] {
        for (std::int64_t key = 2; key < 2002; ++key) {
            if (!limiter.Acquire(key, 0).allowed) ++others_refused;
        }
    });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(hammered_allowed.load(), 100);
    EXPECT_EQ(others_refused.load(), 0);
}

}  // namespace
}  // namespace renewmatch::api
