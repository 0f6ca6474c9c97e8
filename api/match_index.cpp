#include "api/match_index.hpp"

#include "api/line_loader.hpp"
#include "api/units.hpp"
#include "matcher/units.hpp"
#include "schema/database.hpp"
#include "schema/list_store.hpp"
#include "schema/match_feed.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace renewmatch::api {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Rows handed from the reading thread to the decoding threads per batch. At most
// 2 x threads + 2 batches are in flight (queued, being decoded, or decoded and waiting for the
// batches before them); the reader blocks beyond that, so what the pipeline holds besides the
// lines already handed on stays a few MiB whatever the number of lines.
constexpr std::size_t kBatchRows = 512;
constexpr std::size_t kBatchBytes = 1 << 20;

// Stored rows copied out of SQLite's buffers: identity plus status and body in one string.
struct RowBatch {
    struct Row {
        StoredLineIdentity identity;  // `status` is set from `bytes` when the batch is decoded
        std::size_t status_begin = 0;
        std::size_t status_size = 0;
        std::size_t body_begin = 0;
        std::size_t body_size = 0;
    };
    std::vector<Row> rows;
    std::string bytes;

    void Add(const schema::IndexLineRow& row) {
        Row r;
        r.identity = IdentityOf(row);
        r.identity.status = {};
        r.status_begin = bytes.size();
        r.status_size = row.status.size();
        bytes.append(row.status);
        r.body_begin = bytes.size();
        r.body_size = row.body.size();
        bytes.append(row.body);
        rows.push_back(r);
    }
    bool full() const { return rows.size() >= kBatchRows || bytes.size() >= kBatchBytes; }
};

// One batch decoded (and, for a build, analysed), in row order.
template <class Line>
struct DecodedBatch {
    std::vector<Line> lines;
    typename matcher::SegmentBuilder<Line>::Block block;  // when analysed
    std::vector<matcher::LineId> failed;                  // rows that did not decode
    std::string problem;                                  // the first failure's reason
};

template <class Line>
ApiResult<Line> DecodeStored(StoredLineDecoder& decoder,
                             const StoredLineIdentity& identity,
                             std::string_view body) {
    if constexpr (std::is_same_v<Line, matcher::SupplyLine>) {
        return decoder.Supply(identity, body);
    } else {
        return decoder.Demand(identity, body);
    }
}

// Decodes stored rows on `threads` worker threads while the calling thread reads them: the
// reader Add()s rows (copied into batches), workers decode each batch with a StoredLineDecoder
// of their own and, when a SegmentBuilder is given, analyse it for the index build right away.
// Decoded batches go to `sink` on the reading thread (inside Add and Finish) in the order the
// rows were added, as soon as every batch before them is done, so the result does not depend
// on the thread count or timing and no decoded batch waits for the end of the read.
template <class Line>
class DecodePipeline {
  public:
    using Sink = std::function<void(DecodedBatch<Line>&&)>;

    DecodePipeline(const DecodeContext& context,
                   unsigned threads,
                   matcher::SegmentBuilder<Line>* builder,
                   Sink sink)
        : context_(context),
          builder_(builder),
          sink_(std::move(sink)),
          max_in_flight_(2 * std::size_t{threads} + 2) {
        workers_.reserve(threads);
        for (unsigned t = 0; t < threads; ++t) workers_.emplace_back([this] { Work(); });
    }
    // Without Finish (an error or a cancelled load), queued batches are dropped undecoded.
    ~DecodePipeline() {
        {
            std::lock_guard lock(mutex_);
            queue_.clear();
        }
        Close();
    }
    DecodePipeline(const DecodePipeline&) = delete;
    DecodePipeline& operator=(const DecodePipeline&) = delete;

    void Add(const schema::IndexLineRow& row) {
        current_.Add(row);
        if (current_.full()) Submit();
    }
    std::size_t rows_added() const { return rows_added_ + current_.rows.size(); }

    // Submits the last rows and hands every remaining batch to the sink.
    void Finish() {
        if (!current_.rows.empty()) Submit();
        std::unique_lock lock(mutex_);
        HandOver(lock, 0);
        lock.unlock();
        Close();
    }

  private:
    struct Pending {
        DecodedBatch<Line> decoded;
        bool done = false;
    };

    // Hands the finished batches at the front to the sink (the lock released meanwhile) until
    // fewer than `limit` batches are in flight.
    void HandOver(std::unique_lock<std::mutex>& lock, std::size_t limit) {
        while (true) {
            while (!pending_.empty() && pending_.front().done) {
                DecodedBatch<Line> batch = std::move(pending_.front().decoded);
                pending_.pop_front();
                lock.unlock();
                sink_(std::move(batch));
                lock.lock();
            }
            if (pending_.empty() || pending_.size() < limit) return;
            finished_.wait(lock);
        }
    }

    void Submit() {
        rows_added_ += current_.rows.size();
        std::unique_lock lock(mutex_);
        HandOver(lock, max_in_flight_);
        pending_.emplace_back();
        queue_.emplace_back(&pending_.back(), std::move(current_));
        current_ = RowBatch{};
        has_work_.notify_one();
    }

    void Close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        has_work_.notify_all();
        for (std::thread& worker : workers_) {
            if (worker.joinable()) worker.join();
        }
    }

    void Work() {
        StoredLineDecoder decoder(context_);
        while (true) {
            std::pair<Pending*, RowBatch> job;
            {
                std::unique_lock lock(mutex_);
                has_work_.wait(lock, [&] { return closed_ || !queue_.empty(); });
                if (queue_.empty()) return;
                job = std::move(queue_.front());
                queue_.pop_front();
            }
            Decode(job.second, job.first->decoded, decoder);
            {
                std::lock_guard lock(mutex_);
                job.first->done = true;
            }
            finished_.notify_one();
        }
    }

    void Decode(const RowBatch& batch, DecodedBatch<Line>& out, StoredLineDecoder& decoder) {
        out.lines.reserve(batch.rows.size());
        const std::string_view bytes(batch.bytes);
        for (const RowBatch::Row& row : batch.rows) {
            StoredLineIdentity identity = row.identity;
            identity.status = bytes.substr(row.status_begin, row.status_size);
            auto line =
                DecodeStored<Line>(decoder, identity, bytes.substr(row.body_begin, row.body_size));
            if (line) {
                out.lines.push_back(std::move(*line));
            } else {
                out.failed.push_back(row.identity.id);
                if (out.problem.empty()) out.problem = line.error().message;
            }
        }
        if (builder_ != nullptr) out.block = builder_->Analyse(out.lines);
    }

    const DecodeContext& context_;
    matcher::SegmentBuilder<Line>* builder_;
    Sink sink_;
    const std::size_t max_in_flight_;
    RowBatch current_;            // filled by the reading thread
    std::size_t rows_added_ = 0;  // rows submitted so far (reading thread)
    std::mutex mutex_;            // guards queue_, pending_ (the deque and the flags) and closed_
    std::condition_variable has_work_;
    std::condition_variable finished_;
    std::deque<std::pair<Pending*, RowBatch>> queue_;
    // Batches submitted and not yet handed over, in row order; element addresses are stable
    // under emplace_back and pop_front, and a worker writes only the batch it took, unlocked.
    std::deque<Pending> pending_;
    bool closed_ = false;
    std::vector<std::thread> workers_;
};

// Counts a batch's failures and keeps the first reason.
template <class Line>
void CountFailures(const DecodedBatch<Line>& batch, std::size_t& skipped, std::string& problem) {
    skipped += batch.failed.size();
    if (problem.empty()) problem = batch.problem;
}

}  // namespace

Result<std::unique_ptr<MatchIndex>> MatchIndex::Create(const MatchIndexOptions& options,
                                                       std::string* error) {
    std::string why;
    auto units = matcher::UnitSystem::Load(&why);
    if (!units) {
        if (error != nullptr) *error = "UDUNITS-2 database: " + why;
        return Errc::kUnavailable;
    }
    auto chains = matcher::ParseChainMap(ChainMapText(), &why);
    if (!chains) {
        // The map is embedded at build time: a parse failure is a defect of data/chains.
        if (error != nullptr) *error = "data/chains/chains.txt: " + why;
        return Errc::kInternal;
    }
    return std::unique_ptr<MatchIndex>(
        new MatchIndex(std::move(units), std::move(*chains), options));
}

MatchIndex::MatchIndex(std::unique_ptr<matcher::UnitSystem> units,
                       matcher::ChainMap chains,
                       const MatchIndexOptions& options)
    : options_(options),
      units_(std::move(units)),
      catalog_(std::make_unique<UnitCatalog>(*units_)),
      chains_(std::move(chains)) {
    options_.build_threads = std::max(1u, options_.build_threads);
    auto empty = std::make_shared<View>();
    matcher::IndexOptions index_options;
    empty->supply = matcher::SupplySnapshot::Build({}, index_options);
    empty->demands = matcher::DemandSnapshot::Build({}, index_options);
    view_ = std::move(empty);
}

MatchIndex::~MatchIndex() = default;

MatchIndex::View MatchIndex::Current() const {
    std::shared_ptr<const View> view;
    {
        std::lock_guard lock(view_mutex_);
        view = view_;
    }
    return *view;
}

void MatchIndex::Publish(std::shared_ptr<const View> view) {
    std::lock_guard lock(view_mutex_);
    view_ = std::move(view);
}

const UnitChecker& MatchIndex::unit_checker() const {
    return *catalog_;
}

matcher::MatchContext MatchIndex::Context(matcher::Day today) const {
    matcher::MatchContext context;
    context.today = today;
    context.units = units_.get();
    context.chains = &chains_;
    context.taxonomy = nullptr;  // see the header: CPV's digit structure is its tree
    return context;
}

void MatchIndex::CancelLoad() {
    cancel_load_.store(true, std::memory_order_relaxed);
}

bool MatchIndex::Cancelled() const {
    return cancel_load_.load(std::memory_order_relaxed);
}

MatchIndex::LoadStats MatchIndex::last_load() const {
    std::lock_guard lock(stats_mutex_);
    return stats_;
}

std::string MatchIndex::last_problem() const {
    std::lock_guard lock(stats_mutex_);
    return problem_;
}

Result<void> MatchIndex::Load(schema::Database& db) {
    std::lock_guard writer(writer_mutex_);
    const auto start = Clock::now();
    const DecodeContext decode = PublishDecodeContext(nullptr, catalog_.get());
    const unsigned threads = options_.build_threads;
    matcher::IndexOptions index_options;
    index_options.parallel_for = matcher::ThreadedFor(threads);

    struct Loaded {
        std::unique_ptr<matcher::SegmentBuilder<matcher::SupplyLine>> supply;
        std::unique_ptr<matcher::SegmentBuilder<matcher::DemandLine>> demands;
        std::int64_t change_seq = 0;
        std::size_t skipped = 0;
        std::string problem;
    };
    // One read transaction: the lines and the high-water mark come from the same snapshot, so
    // exactly the changes after `change_seq` are missing from what was read. This thread steps
    // SQLite; `threads` workers decode and analyse what it read meanwhile.
    auto loaded = db.Read([&](schema::Connection& c) -> Result<Loaded> {
        Loaded out;
        auto seq = schema::LatestChangeSeq(c);
        if (!seq) return seq.error();
        out.change_seq = *seq;
        out.supply = std::make_unique<matcher::SegmentBuilder<matcher::SupplyLine>>(index_options);
        out.demands = std::make_unique<matcher::SegmentBuilder<matcher::DemandLine>>(index_options);
        auto read = [&](std::string_view entity, auto& builder) -> Result<void> {
            using Line = typename std::remove_reference_t<decltype(*builder)>::LineType;
            if (Cancelled()) return Errc::kUnavailable;
            // Sized once for every row of the table (withdrawn ones included): the line vector
            // never regrows, and the capacity past the live lines is never touched, so it costs
            // address space, not memory.
            auto rows = schema::CountLines(c, entity);
            if (!rows) return rows.error();
            builder->Reserve(static_cast<std::size_t>(std::max<std::int64_t>(*rows, 0)));
            // Each batch goes into the builder as soon as it and the batches before it are
            // decoded and analysed: the load holds the builder's lines and term blocks plus a
            // few batches in flight, never the decoded lines twice.
            DecodePipeline<Line> pipeline(decode, threads, builder.get(),
                                          [&](DecodedBatch<Line>&& batch) {
                                              CountFailures(batch, out.skipped, out.problem);
                                              builder->Append(std::move(batch.block), batch.lines);
                                          });
            std::size_t reported = 0;
            auto scanned = schema::ForEachLiveLine(c, entity, [&](const schema::IndexLineRow& r) {
                pipeline.Add(r);
                if (pipeline.rows_added() >= reported + kBatchRows) {
                    reported = pipeline.rows_added();
                    if (options_.on_load_progress) options_.on_load_progress(entity, reported);
                    return !Cancelled();
                }
                return true;
            });
            if (!scanned) return scanned.error();
            if (Cancelled()) return Errc::kUnavailable;  // the pipeline drops what is queued
            pipeline.Finish();
            return {};
        };
        if (auto r = read("supply", out.supply); !r) return r.error();
        if (auto r = read("demand", out.demands); !r) return r.error();
        return out;
    });
    if (!loaded) return loaded.error();
    if (Cancelled()) return Errc::kUnavailable;
    const double read_ms = MsSince(start);

    const auto build_start = Clock::now();
    auto view = std::make_shared<View>();
    LoadStats stats;
    stats.supply_lines = loaded->supply->size();
    stats.demand_lines = loaded->demands->size();
    stats.skipped = loaded->skipped;
    stats.change_seq = loaded->change_seq;
    view->supply = loaded->supply->Finish();
    view->demands = loaded->demands->Finish();
    view->change_seq = loaded->change_seq;
    loaded->supply.reset();
    loaded->demands.reset();
#if defined(__GLIBC__)
    // The build's temporaries (term blocks, slot dictionaries, row batches) went back to
    // malloc's free lists, scattered between the index's allocations; return their pages to the
    // system so that the RSS after a load is the index's own.
    malloc_trim(0);
#endif
    stats.read_ms = read_ms;
    stats.build_ms = MsSince(build_start);
    Publish(std::move(view));
    ready_.store(true, std::memory_order_release);
    stats.total_ms = MsSince(start);
    {
        std::lock_guard lock(stats_mutex_);
        stats_ = stats;
        problem_ = loaded->problem;
    }
    // Changes committed after the read transaction began, including those whose CatchUp call
    // returned early because the index was not ready yet.
    return CatchUpLocked(db);
}

Result<void> MatchIndex::CatchUp(schema::Database& db) {
    if (!ready()) return {};  // Load reads everything and then catches up itself
    std::lock_guard writer(writer_mutex_);
    return CatchUpLocked(db);
}

Result<void> MatchIndex::CatchUpLocked(schema::Database& db) {
    const View base = Current();
    const DecodeContext decode = PublishDecodeContext(nullptr, catalog_.get());
    struct Delta {
        std::int64_t change_seq = 0;
        std::vector<matcher::SupplyLine> supply;  // changed, non-withdrawn, decoded
        std::vector<matcher::DemandLine> demands;
        std::vector<matcher::LineId> supply_gone;  // withdrawn, deleted or no longer decoding
        std::vector<matcher::LineId> demands_gone;
        std::size_t skipped = 0;
        std::string problem;
    };
    // The changed lines' current rows, read in the same transaction as the feed; a line changed
    // twice is read once, as it is now. Decoding runs on the workers while this thread reads
    // (inline for a handful of lines).
    auto delta = db.Read([&](schema::Connection& c) -> Result<Delta> {
        Delta out;
        auto changed = schema::ChangedLinesAfter(c, base.change_seq);
        if (!changed) return changed.error();
        out.change_seq = changed->last_seq;
        auto read = [&](std::string_view entity, const std::vector<std::int64_t>& ids, auto& lines,
                        std::vector<matcher::LineId>& gone) -> Result<void> {
            using Line = typename std::remove_reference_t<decltype(lines)>::value_type;
            if (ids.empty()) return {};
            const unsigned threads = ids.size() >= 2 * kBatchRows ? options_.build_threads : 1;
            lines.reserve(ids.size());
            // A changed line that no longer decodes leaves the index rather than staying stale.
            DecodePipeline<Line> pipeline(decode, threads, nullptr, [&](DecodedBatch<Line>&& b) {
                CountFailures(b, out.skipped, out.problem);
                gone.insert(gone.end(), b.failed.begin(), b.failed.end());
                lines.insert(lines.end(), std::make_move_iterator(b.lines.begin()),
                             std::make_move_iterator(b.lines.end()));
            });
            auto scanned = schema::ForEachLineById(
                c, entity, ids, [&](std::int64_t id, const schema::IndexLineRow* row) {
                    if (row == nullptr) {
                        gone.push_back(id);
                    } else {
                        pipeline.Add(*row);
                    }
                });
            if (!scanned) return scanned.error();
            pipeline.Finish();
            return {};
        };
        if (auto r = read("supply", changed->supply, out.supply, out.supply_gone); !r) {
            return r.error();
        }
        if (auto r = read("demand", changed->demand, out.demands, out.demands_gone); !r) {
            return r.error();
        }
        return out;
    });
    if (!delta) return delta.error();
    if (delta->change_seq == base.change_seq) return {};

    auto view = std::make_shared<View>(base);
    if (!delta->supply.empty() || !delta->supply_gone.empty()) {
        view->supply = matcher::SupplySnapshot::Apply(base.supply, std::move(delta->supply),
                                                      delta->supply_gone);
    }
    if (!delta->demands.empty() || !delta->demands_gone.empty()) {
        view->demands = matcher::DemandSnapshot::Apply(base.demands, std::move(delta->demands),
                                                       delta->demands_gone);
    }
    view->change_seq = delta->change_seq;
    Publish(std::move(view));
    if (delta->skipped > 0) {
        std::lock_guard lock(stats_mutex_);
        problem_ = delta->problem;
    }
    return {};
}

}  // namespace renewmatch::api
