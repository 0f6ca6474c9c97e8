#include "api/match_index.hpp"

#include "api/line_loader.hpp"
#include "api/units.hpp"
#include "matcher/units.hpp"
#include "schema/database.hpp"
#include "schema/list_store.hpp"
#include "schema/match_feed.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace renewmatch::api {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Change-feed rows read per statement by CatchUp.
constexpr std::int64_t kChangePage = 5000;

// Decodes `rows` (one entity) on `threads` threads; undecodable rows are counted and the first
// reason kept. Output order follows `rows`.
template <class Line, class DecodeFn>
void DecodeRows(const std::vector<schema::LineRow>& rows,
                unsigned threads,
                DecodeFn decode,
                std::vector<Line>& out,
                std::size_t& skipped,
                std::string& problem) {
    std::vector<std::optional<Line>> lines(rows.size());
    std::vector<std::string> errors(rows.size());
    matcher::ThreadedFor(threads)(rows.size(), [&](std::size_t i) {
        auto line = decode(rows[i]);
        if (line) {
            lines[i] = std::move(*line);
        } else {
            errors[i] = line.error().message;
        }
    });
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (lines[i]) {
            out.push_back(std::move(*lines[i]));
        } else {
            ++skipped;
            if (problem.empty()) problem = errors[i];
        }
    }
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
    options_.page_size = std::max<std::size_t>(1, options_.page_size);
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
    const auto page = static_cast<std::int64_t>(options_.page_size);

    struct Loaded {
        std::vector<matcher::SupplyLine> supply;
        std::vector<matcher::DemandLine> demands;
        std::int64_t change_seq = 0;
        std::size_t skipped = 0;
        std::string problem;
    };
    // One read transaction: the lines and the high-water mark come from the same snapshot, so
    // exactly the changes after `change_seq` are missing from what was read.
    auto loaded = db.Read([&](schema::Connection& c) -> Result<Loaded> {
        Loaded out;
        auto seq = schema::LatestChangeSeq(c);
        if (!seq) return seq.error();
        out.change_seq = *seq;
        for (const char* entity : {"supply", "demand"}) {
            schema::LineQuery q;
            q.entity = entity;
            q.limit = page;
            while (true) {
                auto rows = schema::ListLines(c, q);
                if (!rows) return rows.error();
                if (rows->empty()) break;
                q.after_id = rows->back().id;
                const bool last = static_cast<std::int64_t>(rows->size()) < page;
                std::erase_if(*rows,
                              [](const schema::LineRow& r) { return r.status == "withdrawn"; });
                if (q.entity == "supply") {
                    DecodeRows(
                        *rows, threads,
                        [&](const schema::LineRow& r) { return DecodeStoredSupply(r, decode); },
                        out.supply, out.skipped, out.problem);
                } else {
                    DecodeRows(
                        *rows, threads,
                        [&](const schema::LineRow& r) { return DecodeStoredDemand(r, decode); },
                        out.demands, out.skipped, out.problem);
                }
                if (last) break;
            }
        }
        return out;
    });
    if (!loaded) return loaded.error();
    const double read_ms = MsSince(start);

    const auto build_start = Clock::now();
    matcher::IndexOptions index_options;
    index_options.parallel_for = matcher::ThreadedFor(threads);
    auto view = std::make_shared<View>();
    LoadStats stats;
    stats.supply_lines = loaded->supply.size();
    stats.demand_lines = loaded->demands.size();
    stats.skipped = loaded->skipped;
    stats.change_seq = loaded->change_seq;
    view->supply = matcher::SupplySnapshot::Build(std::move(loaded->supply), index_options);
    view->demands = matcher::DemandSnapshot::Build(std::move(loaded->demands), index_options);
    view->change_seq = loaded->change_seq;
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
    struct Delta {
        std::int64_t change_seq = 0;
        std::vector<schema::LineRow> supply;  // current rows of changed, non-withdrawn lines
        std::vector<schema::LineRow> demands;
        std::vector<matcher::LineId> supply_gone;
        std::vector<matcher::LineId> demands_gone;
    };
    auto delta = db.Read([&](schema::Connection& c) -> Result<Delta> {
        Delta out;
        out.change_seq = base.change_seq;
        // (entity, line id) of every changed line; a line changed twice is read once, as it is now.
        std::map<std::pair<std::string, std::int64_t>, bool> changed;
        while (true) {
            auto rows = schema::ListChanges(c, out.change_seq, kChangePage);
            if (!rows) return rows.error();
            for (const auto& row : *rows) {
                if (row.entity == "supply" || row.entity == "demand") {
                    changed[{row.entity, row.line_id}] = true;
                }
                out.change_seq = row.seq;
            }
            if (static_cast<std::int64_t>(rows->size()) < kChangePage) break;
        }
        for (const auto& [key, unused] : changed) {
            const auto& [entity, id] = key;
            auto found = schema::FindLine(c, entity, id);
            if (!found) return found.error();
            const bool supply = entity == "supply";
            if (!*found || (*found)->status == "withdrawn") {
                (supply ? out.supply_gone : out.demands_gone).push_back(id);
            } else {
                (supply ? out.supply : out.demands).push_back(std::move(**found));
            }
        }
        return out;
    });
    if (!delta) return delta.error();
    if (delta->change_seq == base.change_seq) return {};

    const DecodeContext decode = PublishDecodeContext(nullptr, catalog_.get());
    std::size_t skipped = 0;
    std::string problem;
    std::vector<matcher::SupplyLine> supply;
    std::vector<matcher::DemandLine> demands;
    // A changed line that no longer decodes leaves the index rather than staying stale.
    auto decode_each = [&](const std::vector<schema::LineRow>& rows, auto decoder, auto& lines,
                           std::vector<matcher::LineId>& gone) {
        for (const auto& row : rows) {
            auto line = decoder(row, decode);
            if (line) {
                lines.push_back(std::move(*line));
            } else {
                ++skipped;
                if (problem.empty()) problem = line.error().message;
                gone.push_back(row.id);
            }
        }
    };
    decode_each(delta->supply, DecodeStoredSupply, supply, delta->supply_gone);
    decode_each(delta->demands, DecodeStoredDemand, demands, delta->demands_gone);

    auto view = std::make_shared<View>(base);
    if (!supply.empty() || !delta->supply_gone.empty()) {
        view->supply =
            matcher::SupplySnapshot::Apply(base.supply, std::move(supply), delta->supply_gone);
    }
    if (!demands.empty() || !delta->demands_gone.empty()) {
        view->demands =
            matcher::DemandSnapshot::Apply(base.demands, std::move(demands), delta->demands_gone);
    }
    view->change_seq = delta->change_seq;
    Publish(std::move(view));
    if (skipped > 0) {
        std::lock_guard lock(stats_mutex_);
        problem_ = problem;
    }
    return {};
}

}  // namespace renewmatch::api
