#include "api/answer_cache.hpp"

#include "matcher/engine.hpp"

#include <algorithm>
#include <bit>
#include <exception>
#include <future>
#include <list>
#include <string_view>
#include <unordered_map>

namespace renewmatch::api {
namespace {

std::uint64_t Mix(std::uint64_t h, std::uint64_t v) {
    // splitmix64 finaliser over the running hash and the next value
    std::uint64_t x = h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

std::uint64_t Bits(double v) {
    return std::bit_cast<std::uint64_t>(v);
}

std::uint64_t HashText(std::uint64_t h, std::string_view text) {
    h = Mix(h, text.size());
    for (const char c : text) h = Mix(h, static_cast<unsigned char>(c));
    return h;
}

}  // namespace

std::size_t AnswerKeyHash::operator()(const AnswerKey& key) const noexcept {
    std::uint64_t h = Mix(0, static_cast<std::uint64_t>(key.kind));
    h = Mix(h, static_cast<std::uint64_t>(key.id));
    h = Mix(h, key.limit);
    h = Mix(h, static_cast<std::uint64_t>(key.change_seq));
    h = Mix(h, static_cast<std::uint64_t>(static_cast<std::int64_t>(key.today)));
    h = Mix(h, key.config);
    for (const auto id : key.lines) h = Mix(h, static_cast<std::uint64_t>(id));
    h = Mix(h, static_cast<std::uint64_t>(key.part));
    h = Mix(h, static_cast<std::uint64_t>(key.viewer));
    return static_cast<std::size_t>(h);
}

std::uint64_t MatchConfigFingerprint(const matcher::MatchConfig& config) {
    std::uint64_t h = HashText(1, config.version);
    for (const double w : config.weights) h = Mix(h, Bits(w));
    h = Mix(h, Bits(config.bm25_k1));
    h = Mix(h, Bits(config.bm25_b));
    h = Mix(h, Bits(config.description_query_weight));
    h = Mix(h, config.min_class_prefix);
    h = Mix(h, Bits(config.freshness_half_life_days));
    return h;
}

// One computation in progress; waiters share its future.
struct AnswerCache::Flight {
    std::promise<std::shared_ptr<const void>> promise;
    std::shared_future<std::shared_ptr<const void>> future = promise.get_future().share();
};

struct AnswerCache::Shard {
    struct Entry {
        std::shared_ptr<const void> value;  // null while in flight
        const std::type_info* type = nullptr;
        std::size_t bytes = 0;                      // accounted size (stored entries)
        std::shared_ptr<Flight> flight;             // set while in flight
        std::list<const AnswerKey*>::iterator lru;  // valid once stored
    };
    using Map = std::unordered_map<AnswerKey, Entry, AnswerKeyHash>;

    std::mutex mutex;
    Map map;                          // guarded by mutex
    std::list<const AnswerKey*> lru;  // guarded by mutex; stored entries, most recent first
    std::size_t bytes = 0;            // guarded by mutex
};

namespace {

// Bookkeeping per stored entry besides the value: the map node (key, entry: ~120 bytes, hash
// links), the key's line ids and the LRU node.
constexpr std::size_t kNodeOverhead = 192;

std::size_t EntryOverhead(const AnswerKey& key) {
    return sizeof(AnswerKey) + kNodeOverhead + key.lines.capacity() * sizeof(std::int64_t);
}

}  // namespace

AnswerCache::AnswerCache(AnswerCacheOptions options) : options_(options) {
    options_.shards = std::max(1u, options_.shards);
    shard_budget_ = options_.max_bytes / options_.shards;
    shards_.reserve(options_.shards);
    for (unsigned i = 0; i < options_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

AnswerCache::~AnswerCache() = default;

int AnswerCache::Generation(const AnswerKey& key) {
    auto compare = [&key](std::int64_t seq, matcher::Day today) {
        if (key.change_seq != seq) return key.change_seq < seq ? -1 : 1;
        if (key.today != today) return key.today < today ? -1 : 1;
        return 0;
    };
    const int c = compare(newest_seq_.load(std::memory_order_acquire),
                          newest_today_.load(std::memory_order_acquire));
    if (c <= 0) return c;
    std::lock_guard lock(generation_mutex_);
    const int again = compare(newest_seq_.load(std::memory_order_acquire),
                              newest_today_.load(std::memory_order_acquire));
    if (again <= 0) return again;
    // Today first: a reader seeing the new seq with the old today takes its key as newer and
    // waits here, then sees both.
    newest_today_.store(key.today, std::memory_order_release);
    newest_seq_.store(key.change_seq, std::memory_order_release);
    DropOlder(key.change_seq, key.today);
    return 0;
}

void AnswerCache::DropOlder(std::int64_t seq, matcher::Day today) {
    for (auto& shard : shards_) {
        std::vector<std::shared_ptr<const void>> freed;  // released outside the shard lock
        std::int64_t bytes = 0;
        std::int64_t stored = 0;
        {
            std::lock_guard lock(shard->mutex);
            for (auto it = shard->map.begin(); it != shard->map.end();) {
                const AnswerKey& key = it->first;
                if (key.change_seq == seq && key.today == today) {
                    ++it;  // already of the new generation (a request that raced this drop)
                    continue;
                }
                Shard::Entry& entry = it->second;
                // An in-flight entry goes too: its computation (of an older generation now)
                // answers its waiters and stores nothing.
                if (entry.value) {
                    shard->lru.erase(entry.lru);
                    shard->bytes -= entry.bytes;
                    bytes += static_cast<std::int64_t>(entry.bytes);
                    ++stored;
                    freed.push_back(std::move(entry.value));
                }
                it = shard->map.erase(it);
            }
        }
        bytes_.fetch_sub(bytes, std::memory_order_relaxed);
        entries_.fetch_sub(stored, std::memory_order_relaxed);
        dropped_.fetch_add(static_cast<std::uint64_t>(stored), std::memory_order_relaxed);
    }
}

std::shared_ptr<const void> AnswerCache::GetOrComputeErased(
    const AnswerKey& key, const std::type_info& type, const std::function<Erased()>& compute) {
    if (Generation(key) < 0) {
        stale_.fetch_add(1, std::memory_order_relaxed);
        return compute().value;
    }
    Shard& shard = *shards_[AnswerKeyHash{}(key) % shards_.size()];
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
        std::lock_guard lock(shard.mutex);
        auto it = shard.map.find(key);
        if (it == shard.map.end()) {
            flight = std::make_shared<Flight>();
            Shard::Entry entry;
            entry.type = &type;
            entry.flight = flight;
            shard.map.emplace(key, std::move(entry));
            leader = true;
        } else if (*it->second.type == type) {
            Shard::Entry& entry = it->second;
            if (entry.value) {
                shard.lru.splice(shard.lru.begin(), shard.lru, entry.lru);
                hits_.fetch_add(1, std::memory_order_relaxed);
                return entry.value;
            }
            flight = entry.flight;
        }
        // else: a value of another type under this key (a caller's defect): computed, not stored
    }
    if (!flight) {
        misses_.fetch_add(1, std::memory_order_relaxed);
        return compute().value;
    }
    if (!leader) {
        waits_.fetch_add(1, std::memory_order_relaxed);
        auto value = flight->future.get();  // rethrows the leader's exception
        if (value) return value;
        return compute().value;  // the leader's compute() returned null: nothing to share
    }

    misses_.fetch_add(1, std::memory_order_relaxed);
    Erased computed;
    try {
        computed = compute();
    } catch (...) {
        flight->promise.set_exception(std::current_exception());
        std::lock_guard lock(shard.mutex);
        if (auto it = shard.map.find(key); it != shard.map.end() && it->second.flight == flight) {
            shard.map.erase(it);
        }
        throw;
    }
    flight->promise.set_value(computed.value);

    const std::size_t bytes = computed.bytes + EntryOverhead(key);
    std::vector<std::shared_ptr<const void>> evicted;  // freed after the lock is released
    {
        std::lock_guard lock(shard.mutex);
        auto it = shard.map.find(key);
        if (it == shard.map.end() || it->second.flight != flight) return computed.value;  // dropped
        const bool newest = key.change_seq == newest_seq_.load(std::memory_order_acquire) &&
                            key.today == newest_today_.load(std::memory_order_acquire);
        if (!computed.value || !newest || bytes > shard_budget_) {
            if (computed.value && newest) too_large_.fetch_add(1, std::memory_order_relaxed);
            shard.map.erase(it);
            return computed.value;
        }
        Shard::Entry& entry = it->second;
        entry.value = computed.value;
        entry.bytes = bytes;
        entry.flight.reset();
        shard.lru.push_front(&it->first);
        entry.lru = shard.lru.begin();
        shard.bytes += bytes;
        bytes_.fetch_add(static_cast<std::int64_t>(bytes), std::memory_order_relaxed);
        entries_.fetch_add(1, std::memory_order_relaxed);
        while (shard.bytes > shard_budget_) {
            const AnswerKey* oldest = shard.lru.back();  // never the new entry: it fits alone
            auto victim = shard.map.find(*oldest);
            shard.lru.pop_back();
            shard.bytes -= victim->second.bytes;
            bytes_.fetch_sub(static_cast<std::int64_t>(victim->second.bytes),
                             std::memory_order_relaxed);
            entries_.fetch_sub(1, std::memory_order_relaxed);
            evictions_.fetch_add(1, std::memory_order_relaxed);
            evicted.push_back(std::move(victim->second.value));
            shard.map.erase(victim);
        }
    }
    return computed.value;
}

AnswerCacheStats AnswerCache::stats() const {
    AnswerCacheStats s;
    s.hits = hits_.load(std::memory_order_relaxed);
    s.waits = waits_.load(std::memory_order_relaxed);
    s.misses = misses_.load(std::memory_order_relaxed);
    s.stale = stale_.load(std::memory_order_relaxed);
    s.evictions = evictions_.load(std::memory_order_relaxed);
    s.dropped = dropped_.load(std::memory_order_relaxed);
    s.too_large = too_large_.load(std::memory_order_relaxed);
    s.bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, bytes_.load()));
    s.entries = static_cast<std::uint64_t>(std::max<std::int64_t>(0, entries_.load()));
    s.change_seq = newest_seq_.load(std::memory_order_acquire);
    s.today = newest_today_.load(std::memory_order_acquire);
    s.max_bytes = options_.max_bytes;
    return s;
}

}  // namespace renewmatch::api
