// AnswerCache (api/answer_cache.hpp) on its own: hits and key fields, invalidation by change_seq
// and by day, the byte budget (LRU eviction, too-large answers), single flight with threads,
// a throwing computation, and a many-thread stress over changing generations. Built into the
// concurrency test binary, so scripts/test also runs it under ThreadSanitizer.
#include "api/answer_cache.hpp"

#include "matcher/engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace renewmatch::api {
namespace {

AnswerKey Key(std::int64_t id, std::int64_t seq = 1, matcher::Day today = 100) {
    AnswerKey key;
    key.kind = AnswerKind::kDemandCandidates;
    key.id = id;
    key.limit = 10;
    key.change_seq = seq;
    key.today = today;
    key.config = MatchConfigFingerprint(matcher::MatchConfig{});
    return key;
}

// A value that names the key it was computed for.
std::string Describe(const AnswerKey& k) {
    return std::to_string(k.id) + "/" + std::to_string(k.limit) + "/" +
           std::to_string(k.change_seq) + "/" + std::to_string(k.today);
}

struct Counter {
    std::atomic<int> calls{0};
    AnswerCache::Sized<std::string> operator()(const AnswerKey& k, std::size_t bytes = 100) {
        ++calls;
        return {std::make_shared<const std::string>(Describe(k)), bytes};
    }
};

std::shared_ptr<const std::string> Get(AnswerCache& cache,
                                       Counter& counter,
                                       const AnswerKey& key,
                                       std::size_t bytes = 100) {
    return cache.GetOrCompute<std::string>(key, [&] { return counter(key, bytes); });
}

TEST(AnswerCache, SecondRequestIsAHitAndEveryKeyFieldSeparates) {
    AnswerCache cache;
    Counter counter;
    const AnswerKey base = Key(7);
    EXPECT_EQ(*Get(cache, counter, base), Describe(base));
    EXPECT_EQ(*Get(cache, counter, base), Describe(base));
    EXPECT_EQ(counter.calls.load(), 1);
    EXPECT_EQ(cache.stats().hits, 1u);
    EXPECT_EQ(cache.stats().misses, 1u);
    EXPECT_EQ(cache.stats().entries, 1u);
    EXPECT_GT(cache.stats().bytes, 100u);

    // Same generation, each other field different: a separate entry each.
    std::vector<AnswerKey> others(6, base);
    others[0].id = 8;
    others[1].limit = 11;
    others[2].kind = AnswerKind::kSupplyOpportunities;
    others[3].config ^= 1;
    others[4].lines = {1, 2};
    others[5].lines = {2, 1};
    for (const auto& k : others) Get(cache, counter, k);
    EXPECT_EQ(counter.calls.load(), 7);
    for (const auto& k : others) Get(cache, counter, k);
    EXPECT_EQ(counter.calls.load(), 7);
    EXPECT_EQ(cache.stats().entries, 7u);
}

TEST(AnswerCache, ConfigFingerprintFollowsEveryParameter) {
    const matcher::MatchConfig base;
    EXPECT_EQ(MatchConfigFingerprint(base), MatchConfigFingerprint(matcher::MatchConfig{}));
    auto changed = [&](auto mutate) {
        matcher::MatchConfig c;
        mutate(c);
        return MatchConfigFingerprint(c) != MatchConfigFingerprint(base);
    };
    EXPECT_TRUE(changed([](matcher::MatchConfig& c) { c.version += "x"; }));
    EXPECT_TRUE(changed([](matcher::MatchConfig& c) { c.weights[3] += 0.01; }));
    EXPECT_TRUE(changed([](matcher::MatchConfig& c) { c.bm25_k1 = 1.3; }));
    EXPECT_TRUE(changed([](matcher::MatchConfig& c) { c.bm25_b = 0.7; }));
    EXPECT_TRUE(changed([](matcher::MatchConfig& c) { c.description_query_weight = 0.4; }));
    EXPECT_TRUE(changed([](matcher::MatchConfig& c) { c.min_class_prefix = 3; }));
    EXPECT_TRUE(changed([](matcher::MatchConfig& c) { c.freshness_half_life_days = 30; }));
}

TEST(AnswerCache, NewerChangeSeqDropsOlderEntriesAndOlderRequestsAreNotStored) {
    AnswerCache cache;
    Counter counter;
    for (int id = 1; id <= 5; ++id) Get(cache, counter, Key(id, 1));
    EXPECT_EQ(cache.stats().entries, 5u);

    // The first request of seq 2 drops every seq-1 entry.
    EXPECT_EQ(*Get(cache, counter, Key(1, 2)), Describe(Key(1, 2)));
    auto s = cache.stats();
    EXPECT_EQ(s.change_seq, 2);
    EXPECT_EQ(s.dropped, 5u);
    EXPECT_EQ(s.entries, 1u);

    // A reader still holding a seq-1 view gets its own (seq-1) answer, computed, never stored.
    const int before = counter.calls.load();
    EXPECT_EQ(*Get(cache, counter, Key(3, 1)), Describe(Key(3, 1)));
    EXPECT_EQ(*Get(cache, counter, Key(3, 1)), Describe(Key(3, 1)));
    EXPECT_EQ(counter.calls.load(), before + 2);
    EXPECT_EQ(cache.stats().stale, 2u);
    EXPECT_EQ(cache.stats().entries, 1u);
    // ... and the seq-2 entry is still served.
    EXPECT_EQ(*Get(cache, counter, Key(1, 2)), Describe(Key(1, 2)));
    EXPECT_EQ(counter.calls.load(), before + 2);
}

TEST(AnswerCache, NewDayDropsOlderEntries) {
    AnswerCache cache;
    Counter counter;
    Get(cache, counter, Key(1, 5, 100));
    Get(cache, counter, Key(2, 5, 100));
    EXPECT_EQ(*Get(cache, counter, Key(1, 5, 101)), Describe(Key(1, 5, 101)));
    EXPECT_EQ(counter.calls.load(), 3);
    EXPECT_EQ(cache.stats().dropped, 2u);
    EXPECT_EQ(cache.stats().today, 101);
    // Yesterday's answer is not served (computed again, not stored).
    EXPECT_EQ(*Get(cache, counter, Key(2, 5, 100)), Describe(Key(2, 5, 100)));
    EXPECT_EQ(counter.calls.load(), 4);
    EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(AnswerCache, StaysWithinTheByteBudgetEvictingLeastRecentlyUsed) {
    AnswerCacheOptions options;
    options.shards = 1;
    options.max_bytes = 10'000;
    AnswerCache cache(options);
    Counter counter;
    // Each entry is 1,000 bytes of value plus bookkeeping: at most 9 fit.
    for (int id = 1; id <= 30; ++id) {
        Get(cache, counter, Key(id), 1000);
        Get(cache, counter, Key(1), 1000);  // keep id 1 recently used
        EXPECT_LE(cache.stats().bytes, options.max_bytes);
    }
    const auto s = cache.stats();
    EXPECT_GE(s.entries, 5u);
    EXPECT_LE(s.entries, 9u);
    EXPECT_EQ(s.evictions, 30u - s.entries);
    // id 1 was used after every insertion: never evicted.
    const int calls = counter.calls.load();
    Get(cache, counter, Key(1), 1000);
    EXPECT_EQ(counter.calls.load(), calls);
    // The newest entries are there, the oldest are gone.
    Get(cache, counter, Key(30), 1000);
    EXPECT_EQ(counter.calls.load(), calls);
    Get(cache, counter, Key(2), 1000);
    EXPECT_EQ(counter.calls.load(), calls + 1);
}

TEST(AnswerCache, AnswerLargerThanAShardIsServedButNotStored) {
    AnswerCacheOptions options;
    options.shards = 2;
    options.max_bytes = 4'000;
    AnswerCache cache(options);
    Counter counter;
    EXPECT_EQ(*Get(cache, counter, Key(1), 2'500), Describe(Key(1)));
    EXPECT_EQ(*Get(cache, counter, Key(1), 2'500), Describe(Key(1)));
    EXPECT_EQ(counter.calls.load(), 2);
    EXPECT_EQ(cache.stats().too_large, 2u);
    EXPECT_EQ(cache.stats().entries, 0u);
    EXPECT_EQ(cache.stats().bytes, 0u);
}

TEST(AnswerCache, ZeroBudgetStoresNothing) {
    AnswerCacheOptions options;
    options.max_bytes = 0;
    AnswerCache cache(options);
    Counter counter;
    EXPECT_EQ(*Get(cache, counter, Key(1)), Describe(Key(1)));
    EXPECT_EQ(*Get(cache, counter, Key(1)), Describe(Key(1)));
    EXPECT_EQ(counter.calls.load(), 2);
    EXPECT_EQ(cache.stats().entries, 0u);
}

TEST(AnswerCache, ConcurrentMissesForOneKeyRunOneComputation) {
    AnswerCache cache;
    constexpr int kThreads = 8;
    std::atomic<int> calls{0};
    const AnswerKey key = Key(42);
    std::vector<std::shared_ptr<const std::string>> answers(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            answers[static_cast<std::size_t>(t)] = cache.GetOrCompute<std::string>(key, [&] {
                ++calls;
                // Hold the computation until every other thread is waiting for it (bounded).
                const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
                while (cache.stats().waits < kThreads - 1 &&
                       std::chrono::steady_clock::now() < deadline) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                }
                return AnswerCache::Sized<std::string>{
                    std::make_shared<const std::string>(Describe(key)), 10};
            });
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(cache.stats().waits, static_cast<std::uint64_t>(kThreads - 1));
    EXPECT_EQ(cache.stats().misses, 1u);
    for (const auto& a : answers) {
        ASSERT_NE(a, nullptr);
        EXPECT_EQ(a.get(), answers[0].get());  // one shared answer
    }
}

TEST(AnswerCache, AThrowingComputationReachesItsWaitersAndStoresNothing) {
    AnswerCache cache;
    const AnswerKey key = Key(9);
    std::atomic<int> calls{0};
    std::atomic<int> thrown{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&] {
            try {
                cache.GetOrCompute<std::string>(key, [&]() -> AnswerCache::Sized<std::string> {
                    ++calls;
                    const auto deadline =
                        std::chrono::steady_clock::now() + std::chrono::seconds(20);
                    while (cache.stats().waits < 2 && std::chrono::steady_clock::now() < deadline) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    }
                    throw std::runtime_error("match failed");
                });
            } catch (const std::runtime_error&) {
                ++thrown;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(thrown.load(), 3);
    EXPECT_EQ(cache.stats().entries, 0u);
    Counter counter;
    EXPECT_EQ(*Get(cache, counter, key), Describe(key));  // computed afresh
    EXPECT_EQ(counter.calls.load(), 1);
}

// Threads ask for keys of a moving generation while the budget forces evictions: every answer
// is the one for its own key, and the accounting ends consistent.
TEST(AnswerCache, ManyThreadsOverChangingGenerationsAlwaysGetTheirOwnKeysAnswer) {
    AnswerCacheOptions options;
    options.shards = 4;
    options.max_bytes = 40'000;
    AnswerCache cache(options);
    std::atomic<std::int64_t> seq{1};
    std::atomic<int> wrong{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            unsigned x = 12345u + static_cast<unsigned>(t);
            while (!stop.load()) {
                x = x * 1103515245u + 12345u;
                // Mostly the current generation, sometimes the previous one.
                const std::int64_t s = seq.load() - ((x >> 20) % 8 == 0 ? 1 : 0);
                const AnswerKey key = Key(static_cast<std::int64_t>((x >> 8) % 64), s);
                auto answer = cache.GetOrCompute<std::string>(key, [&] {
                    return AnswerCache::Sized<std::string>{
                        std::make_shared<const std::string>(Describe(key)), 300};
                });
                if (answer == nullptr || *answer != Describe(key)) ++wrong;
            }
        });
    }
    for (int g = 0; g < 20; ++g) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        ++seq;
    }
    stop = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(wrong.load(), 0);
    const auto s = cache.stats();
    EXPECT_LE(s.bytes, options.max_bytes);
    EXPECT_GT(s.hits, 0u);
    EXPECT_GT(s.dropped, 0u);
    EXPECT_GT(s.stale, 0u);
}

}  // namespace
}  // namespace renewmatch::api
