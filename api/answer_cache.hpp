// AnswerCache: the answers of the live match routes (api/match.hpp), kept while they are exactly
// what a fresh computation would give, so that repeated queries cost a lookup instead of a match.
//
// What is cached. A value is whatever the route needs to answer exactly as without the cache.
// For the match routes: the matcher's org- and caller-independent result (AnswerKey::Part
// kResult), and, for the two line routes, the JSON body rendered from it for one `explain` and
// one viewer (kBody / kBodyExplained with AnswerKey::viewer: budgets follow that viewer's
// visibility), with a hole after each organisation id that every request fills with the
// organisation's current name, so names stay live. The key (AnswerKey) holds everything a value
// depends on: the route kind, the line or project id, the limit, the index's change_seq, the
// `today` day, a fingerprint of the matcher configuration, (projects) the demand line ids
// matched, and (bodies) the part and the viewer.
//
// Freshness. Every catalogue change moves change_seq, and live BM25 statistics make every score
// depend on the whole catalogue, so entries are never revalidated one by one: an entry only ever
// answers a request of the same (change_seq, today) generation. The cache tracks the newest
// generation it has been asked about; the first request of a newer one drops every older entry
// (shard by shard under each shard's lock; the values are freed outside it). A request of an OLDER
// generation than the newest (a reader that took its index view just before a publish) is
// computed and answered but neither looked up nor stored.
//
// Memory. Values report their approximate size; the cache keeps the sum of entry sizes (value +
// key + bookkeeping) at most `max_bytes`, split evenly over the shards, evicting least recently
// used entries of a shard. An entry larger than a shard's share is answered but not stored.
// max_bytes = 0 disables storing (every request computes; counters still move).
//
// Concurrency. Keys hash to one of `shards` shards, each with its own mutex held only for a map
// lookup/insert and an LRU splice (never while computing). Single flight: the first request to
// miss a key computes it; concurrent requests for the same key wait for that computation instead
// of repeating it (no thundering herd after a publish). If the computation throws, the waiters
// get the same exception and nothing is stored.
//
// Ownership: the cache owns its entries; values are shared_ptr<const T>, so an answer handed out
// stays valid after it is evicted. The kind of a key determines its value type (checked: a hit
// of another type is treated as a miss).
//
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include "matcher/domain.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <typeinfo>
#include <utility>
#include <vector>

namespace renewmatch::matcher {
struct MatchConfig;
}  // namespace renewmatch::matcher

namespace renewmatch::api {

enum class AnswerKind : std::uint8_t {
    kDemandCandidates,     // GET /v1/demands/{id}/candidates
    kSupplyOpportunities,  // GET /v1/supply/{id}/opportunities
    kProjectCandidates,    // GET /v1/projects/{id}/candidates
};

struct AnswerKey {
    AnswerKind kind = AnswerKind::kDemandCandidates;
    std::int64_t id = 0;              // the demand / supply line id, or the project id
    std::uint32_t limit = 0;          // the route's k
    std::int64_t change_seq = 0;      // MatchIndex::View::change_seq the answer was computed on
    matcher::Day today = 0;           // MatchContext::today
    std::uint64_t config = 0;         // MatchConfigFingerprint() of the configuration used
    std::vector<std::int64_t> lines;  // projects: the demand line ids matched, in order
    // What the value is: the matcher's result (kResult), or the route's rendered JSON body for
    // one `explain` and one viewer (kBody / kBodyExplained; api/match.cpp). A body depends on
    // the caller only through api::Viewer (its organisation and whether it is an
    // administrator), so `viewer` holds exactly that: kAdminViewer, else the organisation id.
    enum class Part : std::uint8_t { kResult, kBody, kBodyExplained };
    static constexpr std::int64_t kAdminViewer = -1;
    Part part = Part::kResult;
    std::int64_t viewer = 0;  // 0 for kResult

    bool operator==(const AnswerKey&) const = default;
};

struct AnswerKeyHash {
    std::size_t operator()(const AnswerKey& key) const noexcept;
};

// A hash of everything in a MatchConfig that can change a result (version string, weights,
// BM25 and other parameters): two configurations with the same fingerprint score alike.
std::uint64_t MatchConfigFingerprint(const matcher::MatchConfig& config);

struct AnswerCacheOptions {
    std::size_t max_bytes = std::size_t{256} << 20;  // 0: store nothing
    unsigned shards = 16;                            // >= 1
};

struct AnswerCacheStats {
    std::uint64_t hits = 0;       // answered from a stored entry
    std::uint64_t waits = 0;      // answered by another request's computation (single flight)
    std::uint64_t misses = 0;     // computed (current generation)
    std::uint64_t stale = 0;      // computed for an older generation: not looked up, not stored
    std::uint64_t evictions = 0;  // entries evicted to stay within max_bytes
    std::uint64_t dropped = 0;    // entries dropped because a newer generation arrived
    std::uint64_t too_large = 0;  // answers larger than a shard's share, not stored
    std::uint64_t bytes = 0;      // current size of stored entries
    std::uint64_t entries = 0;    // current number of stored entries
    std::int64_t change_seq = 0;  // newest generation seen
    matcher::Day today = 0;
    std::uint64_t max_bytes = 0;
};

class AnswerCache {
  public:
    explicit AnswerCache(AnswerCacheOptions options = {});
    ~AnswerCache();
    AnswerCache(const AnswerCache&) = delete;
    AnswerCache& operator=(const AnswerCache&) = delete;

    // A computed answer and its approximate size in bytes (heap included).
    template <class T>
    struct Sized {
        std::shared_ptr<const T> value;
        std::size_t bytes = 0;
    };

    // The stored answer for `key`, or compute()'s (a Sized<T>), stored unless `key` is of an
    // older generation or too large. Never null unless compute() returned null (not stored).
    template <class T, class Compute>
    std::shared_ptr<const T> GetOrCompute(const AnswerKey& key, Compute&& compute) {
        auto value = GetOrComputeErased(key, typeid(T), [&compute]() -> Erased {
            Sized<T> sized = compute();
            return Erased{std::move(sized.value), sized.bytes};
        });
        return std::static_pointer_cast<const T>(std::move(value));
    }

    AnswerCacheStats stats() const;
    const AnswerCacheOptions& options() const { return options_; }

  private:
    struct Erased {
        std::shared_ptr<const void> value;
        std::size_t bytes = 0;
    };
    struct Shard;
    struct Flight;

    std::shared_ptr<const void> GetOrComputeErased(const AnswerKey& key,
                                                   const std::type_info& type,
                                                   const std::function<Erased()>& compute);
    // -1: key is of an older generation than the newest; 0: the newest; advances (and drops
    // every older entry) when key is of a newer one.
    int Generation(const AnswerKey& key);
    // Removes every entry not of generation (seq, today).
    void DropOlder(std::int64_t seq, matcher::Day today);

    AnswerCacheOptions options_;
    std::size_t shard_budget_ = 0;
    std::vector<std::unique_ptr<Shard>> shards_;

    std::mutex generation_mutex_;  // serialises generation advances
    std::atomic<std::int64_t> newest_seq_{0};
    std::atomic<matcher::Day> newest_today_{0};

    std::atomic<std::uint64_t> hits_{0}, waits_{0}, misses_{0}, stale_{0}, evictions_{0},
        dropped_{0}, too_large_{0};
    std::atomic<std::int64_t> bytes_{0}, entries_{0};
};

}  // namespace renewmatch::api
