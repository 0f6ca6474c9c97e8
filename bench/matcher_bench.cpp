// renewmatch_matcher_bench: speed of the matcher at catalog scale, with SQLite FTS5 and Xapian
// measured in the same run on the same lines and queries (ratios go to docs/performance.md).
//
// Sizes come from the environment so the run can be scaled down on a busy machine:
//   RENEWMATCH_BENCH_LINES      supply lines for index build / single-query latency (1000000)
//   RENEWMATCH_BENCH_QUERIES    single demands timed for p50/p99 (1000)
//   RENEWMATCH_BENCH_BATCH      demands in the 2-thread batch (100000)
//   RENEWMATCH_BENCH_CMP_LINES  lines for the FTS5 / Xapian comparison (= LINES)
//   RENEWMATCH_BENCH_CMP_QUERIES queries for the comparison (1000)
// The comparison engines index the matcher's own analysed terms (pre-segmented text: CJK
// bigrams, Latin words, model codes), so all three rank the same tokens; FTS5 uses the
// unicode61 tokenizer with '#-./_' as token characters so each pre-segmented term stays one
// token, ranked by bm25(); Xapian uses its default BM25 weighting with an OR query. The matcher
// additionally evaluates every hard filter and the full 10-feature score.
#include "bench/generator.hpp"
#include "matcher/engine.hpp"
#include "matcher/text.hpp"

#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <xapian.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace renewmatch;
using Clock = std::chrono::steady_clock;

std::size_t EnvSize(const char* name, std::size_t fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != 0 ? static_cast<std::size_t>(std::strtoull(v, nullptr, 10))
                                   : fallback;
}

// CPU seconds used by this process so far (user + system, all threads).
double CpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double RssMiB(const char* field = "VmRSS:") {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field, 0) == 0)
            return std::strtod(line.c_str() + std::string(field).size(), nullptr) / 1024.0;
    }
    return 0;
}

struct World {
    std::size_t lines = EnvSize("RENEWMATCH_BENCH_LINES", 1000000);
    std::size_t queries = EnvSize("RENEWMATCH_BENCH_QUERIES", 1000);
    std::size_t batch = EnvSize("RENEWMATCH_BENCH_BATCH", 100000);
    std::size_t cmp_lines = EnvSize("RENEWMATCH_BENCH_CMP_LINES", 0);
    std::size_t cmp_queries = EnvSize("RENEWMATCH_BENCH_CMP_QUERIES", 1000);
    // Threads analysing lines during the timed build (matcher::ThreadedFor); 1 = sequential.
    unsigned build_threads = static_cast<unsigned>(EnvSize("RENEWMATCH_BENCH_BUILD_THREADS", 1));
    std::unique_ptr<matcher::UnitSystem> units;
    matcher::MatchConfig config;
    matcher::MatchContext context;
    std::shared_ptr<const matcher::SupplySnapshot> snapshot;
    std::shared_ptr<const matcher::SupplySnapshot> cmp_snapshot;
    std::vector<matcher::DemandLine> demands;
    std::vector<std::vector<std::string>> query_terms;  // unique analysed terms per demand
    double build_seconds = 0;
    double build_cpu_seconds = 0;
    double rss_before_mib = 0;
    double rss_after_mib = 0;
    World() {
        if (cmp_lines == 0) cmp_lines = lines;
        std::string error;
        units = matcher::UnitSystem::Load(&error);
        context.today = 20800;
        context.units = units.get();
        bench::CatalogGenerator gen(42);
        const std::size_t n_demands = std::max({queries, batch, cmp_queries});
        for (std::size_t i = 0; i < n_demands; ++i) {
            demands.push_back(gen.Demand(static_cast<matcher::LineId>(i + 1)));
            std::set<std::string> terms;
            for (auto& t : matcher::Analyze(demands.back().title)) terms.insert(t.text);
            for (auto& t : matcher::Analyze(demands.back().description)) terms.insert(t.text);
            query_terms.emplace_back(terms.begin(), terms.end());
        }
        std::vector<matcher::SupplyLine> catalog;
        catalog.reserve(lines);
        for (std::size_t i = 0; i < lines; ++i)
            catalog.push_back(gen.Supply(static_cast<matcher::LineId>(i + 1)));
        std::vector<matcher::SupplyLine> cmp_catalog;
        if (cmp_lines < lines)
            cmp_catalog.assign(catalog.begin(),
                               catalog.begin() + static_cast<std::ptrdiff_t>(cmp_lines));
        rss_before_mib = RssMiB();
        const auto start = Clock::now();
        const double cpu_start = CpuSeconds();
        matcher::IndexOptions options;
        if (build_threads > 1) options.parallel_for = matcher::ThreadedFor(build_threads);
        snapshot = matcher::SupplySnapshot::Build(std::move(catalog), options);
        build_seconds = std::chrono::duration<double>(Clock::now() - start).count();
        build_cpu_seconds = CpuSeconds() - cpu_start;
        rss_after_mib = RssMiB();
        cmp_snapshot =
            cmp_lines < lines ? matcher::SupplySnapshot::Build(std::move(cmp_catalog)) : snapshot;
    }
};

World& W() {
    static World world;
    return world;
}

void Percentiles(benchmark::State& state, std::vector<double>& ms) {
    if (ms.empty()) return;
    std::sort(ms.begin(), ms.end());
    double sum = 0;
    for (double v : ms) sum += v;
    state.counters["p50_ms"] = ms[ms.size() / 2];
    state.counters["p99_ms"] = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
    state.counters["mean_ms"] = sum / static_cast<double>(ms.size());
    state.counters["qps"] = 1000.0 * static_cast<double>(ms.size()) / sum;
}

void BM_IndexBuild(benchmark::State& state) {
    World& w = W();  // generation + build happen once, outside the timed loop
    for (auto _ : state) benchmark::DoNotOptimize(w.snapshot.get());
    state.counters["lines"] = static_cast<double>(w.lines);
    state.counters["build_s"] = w.build_seconds;
    state.counters["build_cpu_s"] = w.build_cpu_seconds;
    state.counters["rss_peak_mib"] = RssMiB("VmHWM:");
    state.counters["rss_total_mib"] = w.rss_after_mib;
    state.counters["rss_index_delta_mib"] = w.rss_after_mib - w.rss_before_mib;
    state.counters["segments"] = static_cast<double>(w.snapshot->segment_count());
    state.counters["build_threads"] = static_cast<double>(w.build_threads);
}

void BM_MatcherTop10(benchmark::State& state) {
    World& w = W();
    std::vector<double> ms;
    std::size_t i = 0;
    std::size_t returned = 0;
    for (auto _ : state) {
        const auto start = Clock::now();
        auto result =
            matcher::MatchDemand(*w.snapshot, w.demands[i % w.queries], 10, w.config, w.context);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        returned += result.candidates.size();
        benchmark::DoNotOptimize(result);
        ++i;
    }
    Percentiles(state, ms);
    state.counters["lines"] = static_cast<double>(w.lines);
    state.counters["avg_returned"] =
        static_cast<double>(returned) / static_cast<double>(std::max<std::size_t>(1, i));
}

void BM_MatcherBatch2Threads(benchmark::State& state) {
    World& w = W();
    const std::span<const matcher::DemandLine> batch(w.demands.data(), w.batch);
    double seconds = 0;
    double cpu = 0;
    for (auto _ : state) {
        const auto start = Clock::now();
        const double cpu_start = CpuSeconds();
        auto results = matcher::MatchDemandsBatch(*w.snapshot, batch, 10, w.config, w.context, 2);
        seconds = std::chrono::duration<double>(Clock::now() - start).count();
        cpu = CpuSeconds() - cpu_start;
        benchmark::DoNotOptimize(results);
    }
    state.counters["batch_cpu_s"] = cpu;
    state.counters["demands"] = static_cast<double>(w.batch);
    state.counters["lines"] = static_cast<double>(w.lines);
    state.counters["batch_s"] = seconds;
    state.counters["demands_per_s"] = static_cast<double>(w.batch) / seconds;
    state.counters["extrapolated_100k_s"] = seconds * 100000.0 / static_cast<double>(w.batch);
}

// ---- comparisons ----------------------------------------------------------------------------

void BM_CmpMatcherTop10(benchmark::State& state) {
    World& w = W();
    std::vector<double> ms;
    std::size_t i = 0;
    for (auto _ : state) {
        const auto start = Clock::now();
        auto result = matcher::MatchDemand(*w.cmp_snapshot, w.demands[i % w.cmp_queries], 10,
                                           w.config, w.context);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        benchmark::DoNotOptimize(result);
        ++i;
    }
    Percentiles(state, ms);
    state.counters["lines"] = static_cast<double>(w.cmp_snapshot->live_count());
}

std::string Presegmented(const matcher::SupplyLine& line) {
    std::string text;
    for (const auto& [term, tf] : matcher::IndexTerms(line, matcher::IndexOptions{})) {
        for (std::uint32_t r = 0; r < tf; ++r) {
            text += term;
            text += ' ';
        }
    }
    return text;
}

struct Fts {
    sqlite3* db = nullptr;
    double build_seconds = 0;
    Fts() {
        World& w = W();
        sqlite3_open(":memory:", &db);
        sqlite3_exec(
            db,
            "CREATE VIRTUAL TABLE docs USING fts5(body, tokenize=\"unicode61 tokenchars '#-./_'\")",
            nullptr, nullptr, nullptr);
        const auto start = Clock::now();
        sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
        sqlite3_stmt* insert = nullptr;
        sqlite3_prepare_v2(db, "INSERT INTO docs(rowid, body) VALUES (?, ?)", -1, &insert, nullptr);
        w.cmp_snapshot->ForEachLive([&](const matcher::SupplyLine& line) {
            const std::string body = Presegmented(line);
            sqlite3_bind_int64(insert, 1, line.id);
            sqlite3_bind_text(insert, 2, body.data(), static_cast<int>(body.size()),
                              SQLITE_TRANSIENT);
            sqlite3_step(insert);
            sqlite3_reset(insert);
        });
        sqlite3_finalize(insert);
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
        sqlite3_exec(db, "INSERT INTO docs(docs) VALUES('optimize')", nullptr, nullptr, nullptr);
        build_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    }
};

Fts& F() {
    static Fts fts;
    return fts;
}

void BM_CmpFts5Top10(benchmark::State& state) {
    World& w = W();
    Fts& fts = F();
    sqlite3_stmt* query = nullptr;
    sqlite3_prepare_v2(fts.db,
                       "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10", -1,
                       &query, nullptr);
    std::vector<double> ms;
    std::size_t i = 0;
    for (auto _ : state) {
        std::string match;
        for (const std::string& term : w.query_terms[i % w.cmp_queries]) {
            if (!match.empty()) match += " OR ";
            match += '"' + term + '"';
        }
        const auto start = Clock::now();
        sqlite3_bind_text(query, 1, match.data(), static_cast<int>(match.size()), SQLITE_TRANSIENT);
        std::int64_t sum = 0;
        while (sqlite3_step(query) == SQLITE_ROW) sum += sqlite3_column_int64(query, 0);
        sqlite3_reset(query);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        benchmark::DoNotOptimize(sum);
        ++i;
    }
    sqlite3_finalize(query);
    Percentiles(state, ms);
    state.counters["build_s"] = fts.build_seconds;
}

struct Xap {
    std::filesystem::path dir;
    std::unique_ptr<Xapian::Database> db;
    double build_seconds = 0;
    Xap() {
        World& w = W();
        dir = std::filesystem::temp_directory_path() /
              ("renewmatch-xapian-" + std::to_string(::getpid()));
        const auto start = Clock::now();
        {
            Xapian::WritableDatabase writable(dir.string(), Xapian::DB_CREATE_OR_OVERWRITE);
            writable.begin_transaction(false);
            w.cmp_snapshot->ForEachLive([&](const matcher::SupplyLine& line) {
                Xapian::Document doc;
                for (const auto& [term, tf] : matcher::IndexTerms(line, matcher::IndexOptions{})) {
                    if (term.size() < 200) doc.add_term(term, tf);
                }
                writable.replace_document(static_cast<Xapian::docid>(line.id), doc);
            });
            writable.commit_transaction();
            writable.commit();
        }
        db = std::make_unique<Xapian::Database>(dir.string());
        build_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    }
    ~Xap() {
        db.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

Xap& X() {
    static Xap xap;
    return xap;
}

void BM_CmpXapianTop10(benchmark::State& state) {
    World& w = W();
    Xap& xap = X();
    Xapian::Enquire enquire(*xap.db);  // default weighting: BM25
    std::vector<double> ms;
    std::size_t i = 0;
    for (auto _ : state) {
        const auto& terms = w.query_terms[i % w.cmp_queries];
        const auto start = Clock::now();
        Xapian::Query query(Xapian::Query::OP_OR, terms.begin(), terms.end());
        enquire.set_query(query);
        Xapian::MSet mset = enquire.get_mset(0, 10);
        Xapian::docid sum = 0;
        for (auto it = mset.begin(); it != mset.end(); ++it) sum += *it;
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        benchmark::DoNotOptimize(sum);
        ++i;
    }
    Percentiles(state, ms);
    state.counters["build_s"] = xap.build_seconds;
}

}  // namespace

BENCHMARK(BM_IndexBuild)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatcherTop10)
    ->Iterations(static_cast<benchmark::IterationCount>(EnvSize("RENEWMATCH_BENCH_QUERIES", 1000)))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_MatcherBatch2Threads)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CmpMatcherTop10)
    ->Iterations(static_cast<benchmark::IterationCount>(EnvSize("RENEWMATCH_BENCH_CMP_QUERIES",
                                                                1000)))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_CmpFts5Top10)
    ->Iterations(static_cast<benchmark::IterationCount>(EnvSize("RENEWMATCH_BENCH_CMP_QUERIES",
                                                                1000)))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_CmpXapianTop10)
    ->Iterations(static_cast<benchmark::IterationCount>(EnvSize("RENEWMATCH_BENCH_CMP_QUERIES",
                                                                1000)))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_MAIN();
