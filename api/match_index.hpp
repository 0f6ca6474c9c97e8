// MatchIndex: the live, in-memory match index of every non-withdrawn supply and demand line,
// built from SQLite at start-up and kept current from the `changes` feed (DESIGN §3, §5).
//
// What it holds. A `View` is a consistent pair of immutable matcher snapshots (supply, demand)
// plus the `changes.seq` high-water mark they reflect. Load() reads every non-withdrawn line and
// the high-water mark in ONE read transaction and decodes each stored canonical body with the
// list decoder's per-line rules (api/line_loader.hpp StoredLineDecoder: the same code and the
// same reference data that validated it at publish, so a loaded line equals the published one
// field for field; storage identity -- id, organisation, revision, status, date modified --
// comes from the row). The load is a pipeline: the calling thread steps SQLite over only the
// columns the index needs (schema/match_feed.hpp ForEachLiveLine) and hands batches of rows to
// `build_threads` workers, which decode them and analyse them for the index at once
// (matcher::SegmentBuilder: per-worker term dictionaries); each analysed batch is appended to
// the builder on the reading thread as soon as the batches before it are done (row order), so
// only a few batches are ever in flight beside the builder and the index is identical to a
// sequential Snapshot::Build of the same lines whatever the thread count or timing
// (tests/api/match_index_test.cpp). The builder's line vector is sized once from the table's
// row count (never regrown). CatchUp() reads the supply/demand line ids of the change rows with
// seq > the view's change_seq and the current rows of those lines, again in one read
// transaction (decoding on the workers when there are many), and publishes a new View made with
// Snapshot::Apply (upserts + withdrawals).
//
// Publication. The current View is a shared_ptr swapped under a mutex held only for the pointer
// copy: Current() never waits for a build, and a query keeps the View it took (and so both
// snapshots, whole) for as long as it holds it: never half a list, never a mix of two versions.
// Writers (Load, CatchUp) are serialised by a second mutex. Before the first Load completes,
// ready() is false and Current() returns empty snapshots with change_seq 0.
//
// Lines the decoder refuses (e.g. reference data changed since publication) are left out of the
// index and counted in LoadStats::skipped with the first reason in last_problem(); the server
// logs them. A changed line that no longer decodes is removed from the index (not kept stale).
//
// Matching context: one matcher::UnitSystem (UDUNITS-2 has one parser per process, so the
// server also hands unit_checker() to the list decoder through AppContext::units), and the
// industrial-chain map from data/chains/chains.txt, embedded at build time. No explicit
// taxonomy: CPV's code structure is the digit-prefix tree the matcher falls back to, and an
// explicit parent map would share one key space between CPV and HS codes.
//
// Ownership: Create() returns the index; it owns its UnitSystem, UnitCatalog and chain map. The
// Database passed to Load/CatchUp is borrowed for the call. Views share snapshot ownership.
//
// Errors: Load/CatchUp return the database's error (kBusy, kInternal), Load kUnavailable after
// CancelLoad(), and leave the current View as it was (nothing half-built is published); the
// next CatchUp retries from the same change_seq. CatchUp before the first Load completes does
// nothing (Load reads everything, then catches up itself).
//
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include "matcher/domain.hpp"
#include "matcher/engine.hpp"
#include "matcher/index.hpp"
#include "matcher/reference.hpp"
#include "schema/errc.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace renewmatch::matcher {
class UnitSystem;
}  // namespace renewmatch::matcher

namespace renewmatch::schema {
class Database;
}  // namespace renewmatch::schema

namespace renewmatch::api {

class UnitCatalog;
class UnitChecker;

// data/chains/chains.txt, embedded at build time.
std::string_view ChainMapText() noexcept;

struct MatchIndexOptions {
    // Threads decoding and analysing lines during Load (the calling thread reads SQLite beside
    // them), and analysing lines in the builds of CatchUp.
    unsigned build_threads = 2;
    // Called on the loading thread during Load about every 512 rows read of an entity
    // ("supply", then "demand"), with the rows of that entity read so far (progress logs,
    // tests). Must not call Load or CatchUp.
    std::function<void(std::string_view entity, std::size_t rows_read)> on_load_progress;
};

class MatchIndex {
  public:
    struct View {
        std::shared_ptr<const matcher::SupplySnapshot> supply;   // non-withdrawn supply lines
        std::shared_ptr<const matcher::DemandSnapshot> demands;  // non-withdrawn demand lines
        std::int64_t change_seq = 0;  // last `changes.seq` reflected in both snapshots
    };

    // Figures of the last Load (for the "match index ready" log line and benchmarks).
    struct LoadStats {
        std::size_t supply_lines = 0;  // indexed
        std::size_t demand_lines = 0;  // indexed
        std::size_t skipped = 0;       // stored lines the decoder refused (left out)
        std::int64_t change_seq = 0;
        double read_ms = 0;   // SQLite read + decode + analysis (overlapped on the workers)
        double build_ms = 0;  // finishing the snapshots: term merge, postings, line records
        double total_ms = 0;
    };

    // Loads UDUNITS-2 and parses the embedded chain map. Fails with kUnavailable when the
    // UDUNITS database cannot be read (the reason goes to *error when given).
    static Result<std::unique_ptr<MatchIndex>> Create(const MatchIndexOptions& options = {},
                                                      std::string* error = nullptr);
    ~MatchIndex();
    MatchIndex(const MatchIndex&) = delete;
    MatchIndex& operator=(const MatchIndex&) = delete;

    View Current() const;                        // consistent pair, never half a list
    Result<void> Load(schema::Database& db);     // full build from SQLite (start-up, CLI)
    Result<void> CatchUp(schema::Database& db);  // apply changes with seq > change_seq
    // For shutdown: a Load under way stops at its next batch of rows (or before it finishes the
    // snapshots) and returns kUnavailable, leaving the current View and ready() as they were;
    // every later Load returns kUnavailable at once. CatchUp is not affected.
    void CancelLoad();
    bool ready() const { return ready_.load(std::memory_order_acquire); }
    matcher::MatchContext Context(matcher::Day today) const;  // units, chains, taxonomy

    const matcher::UnitSystem& units() const { return *units_; }
    // A UnitCatalog over units(): what the list decoder should validate units with.
    const UnitChecker& unit_checker() const;
    const matcher::ChainMap& chains() const { return chains_; }
    LoadStats last_load() const;
    // The first reason a stored line was left out by the last Load or CatchUp ("" when none).
    std::string last_problem() const;

  private:
    MatchIndex(std::unique_ptr<matcher::UnitSystem> units,
               matcher::ChainMap chains,
               const MatchIndexOptions& options);
    Result<void> CatchUpLocked(schema::Database& db);  // writer_mutex_ held
    bool Cancelled() const;
    void Publish(std::shared_ptr<const View> view);

    MatchIndexOptions options_;
    std::unique_ptr<matcher::UnitSystem> units_;
    std::unique_ptr<UnitCatalog> catalog_;
    matcher::ChainMap chains_;

    mutable std::mutex view_mutex_;     // guards view_ (held for a pointer copy only)
    std::shared_ptr<const View> view_;  // never null
    std::atomic<bool> ready_{false};
    std::atomic<bool> cancel_load_{false};

    std::mutex writer_mutex_;         // serialises Load and CatchUp
    mutable std::mutex stats_mutex_;  // guards stats_, problem_
    LoadStats stats_;
    std::string problem_;
};

}  // namespace renewmatch::api
