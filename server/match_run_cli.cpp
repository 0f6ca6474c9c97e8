#include "server/match_run_cli.hpp"

#include "api/match_index.hpp"
#include "api/match_runs.hpp"
#include "matcher/dates.hpp"
#include "schema/database.hpp"
#include "schema/run_store.hpp"

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>

namespace renewmatch::server {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnStopSignal(int) {
    g_stop.store(true);
}

std::int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<std::int64_t> ParsePositive(const std::string& text) {
    std::int64_t v = 0;
    const char* end = text.data() + text.size();
    if (text.empty() || std::from_chars(text.data(), end, v).ptr != end || v <= 0) {
        return std::nullopt;
    }
    return v;
}

// Restores the previous SIGINT/SIGTERM handlers on destruction.
class StopSignals {
  public:
    StopSignals() {
        g_stop.store(false);
        previous_int_ = std::signal(SIGINT, OnStopSignal);
        previous_term_ = std::signal(SIGTERM, OnStopSignal);
    }
    ~StopSignals() {
        std::signal(SIGINT, previous_int_);
        std::signal(SIGTERM, previous_term_);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

  private:
    void (*previous_int_)(int) = SIG_DFL;
    void (*previous_term_)(int) = SIG_DFL;
};

}  // namespace

int RunMatchRunCommand(const std::map<std::string, std::string>& flags,
                       std::ostream& out,
                       std::ostream& err) {
    auto flag = [&](const char* name) -> std::optional<std::string> {
        auto it = flags.find(name);
        if (it == flags.end()) return std::nullopt;
        return it->second;
    };
    // ---- the request, validated by the same decoder as POST /v1/match-runs ----
    std::string body = "{\"mode\":\"" + flag("mode").value_or("full") + "\"";
    if (auto a = flag("allocate")) {
        if (*a != "true" && *a != "false") {
            err << "renewmatch: --allocate takes no value (or true/false)\n";
            return 2;
        }
        body += ",\"allocate\":" + *a;
    }
    if (auto w = flag("weights")) body += ",\"weights\":\"" + *w + "\"";
    if (auto k = flag("top-k")) {
        if (!ParsePositive(*k)) {
            err << "renewmatch: --top-k must be a positive integer\n";
            return 2;
        }
        body += ",\"topK\":" + *k;
    }
    std::string scope;
    auto add_scope = [&](const std::string& member, const std::string& value) {
        scope += (scope.empty() ? "" : ",") + ("\"" + member + "\":" + value);
    };
    if (auto c = flag("scope-classification")) add_scope("classificationPrefix", "\"" + *c + "\"");
    if (auto r = flag("scope-region")) add_scope("region", "\"" + *r + "\"");
    if (auto o = flag("scope-org")) {
        if (!ParsePositive(*o)) {
            err << "renewmatch: --scope-org must be an organisation id\n";
            return 2;
        }
        add_scope("orgId", *o);
    }
    if (!scope.empty()) body += ",\"scope\":{" + scope + "}";
    body += "}";
    for (const char c : body) {
        if (c == '\\' || static_cast<unsigned char>(c) < 0x20) {
            err << "renewmatch: flag values may not contain backslashes or control characters\n";
            return 2;
        }
    }
    auto request = api::DecodeRunRequest(body);
    if (!request) {
        err << "renewmatch: " << request.error().message;
        for (const auto& d : request.error().details) err << "; " << d.field << ": " << d.message;
        err << "\n";
        return 2;
    }
    unsigned threads = api::DefaultRunThreads();
    if (auto t = flag("threads")) {
        auto v = ParsePositive(*t);
        if (!v || *v > 256) {
            err << "renewmatch: --threads must be 1..256\n";
            return 2;
        }
        threads = static_cast<unsigned>(*v);
    }
    std::size_t batch = 512;
    if (auto b = flag("batch")) {
        auto v = ParsePositive(*b);
        if (!v || *v > 100000) {
            err << "renewmatch: --batch must be 1..100000\n";
            return 2;
        }
        batch = static_cast<std::size_t>(*v);
    }
    std::optional<std::int64_t> epoch;
    if (auto e = flag("stats-epoch")) {
        epoch = ParsePositive(*e);
        if (!epoch) {
            err << "renewmatch: --stats-epoch must be a run id\n";
            return 2;
        }
    }
    std::optional<std::int64_t> as_of_day;
    if (auto t = flag("today")) {
        const auto day = matcher::ParseIsoDay(*t);
        if (!day) {
            err << "renewmatch: --today must be a date YYYY-MM-DD\n";
            return 2;
        }
        as_of_day = *day;
    }
    const std::string progress_mode = flag("progress").value_or("auto");
    if (progress_mode != "auto" && progress_mode != "bar" && progress_mode != "lines" &&
        progress_mode != "none") {
        err << "renewmatch: --progress must be auto, bar, lines or none\n";
        return 2;
    }
    const bool tty = &err == &std::cerr && ::isatty(STDERR_FILENO) == 1;
    const bool bar = progress_mode == "bar" || (progress_mode == "auto" && tty);
    const bool lines = progress_mode == "lines" || (progress_mode == "auto" && !tty);

    // ---- the database and the run row ----
    const std::string& path = flags.at("db");
    schema::DatabaseOptions options;
    options.reader_count = 2;
    options.create_if_missing = false;
    std::string why;
    auto db = schema::Database::Open(path, options, &why);
    if (!db) {
        err << "renewmatch: cannot open database '" << path
            << "': " << (why.empty() ? db.error().message() : why) << "\n";
        return 1;
    }
    if (auto migrated = (*db)->Migrate(&why); !migrated) {
        err << "renewmatch: migrating '" << path << "' failed: " << why << "\n";
        return 1;
    }
    const std::int64_t started_ms = NowMs();
    const auto new_run = api::MakeNewRun(*request, "cli", started_ms);
    std::string refusal;
    auto inserted = (*db)->Write([&](schema::Connection& c) -> Result<schema::RunRecord> {
        auto stale =
            schema::FailAbandonedRuns(c, "cli", started_ms - 10 * 60 * 1000,
                                      "abandoned: no progress from the CLI run", started_ms);
        if (!stale) return stale.error();
        auto active = schema::ActiveRuns(c);
        if (!active) return active.error();
        for (const auto& r : *active) {
            if (r.scope_key == new_run.scope.Key()) {
                refusal = "run " + std::to_string(r.id) + " of this scope is " + r.status +
                          " (runner " + r.runner + ")";
                return Errc::kConflict;
            }
        }
        return schema::InsertRun(c, new_run);
    });
    if (!inserted) {
        err << "renewmatch: " << (refusal.empty() ? inserted.error().message() : refusal) << "\n";
        return 1;
    }
    const std::int64_t run_id = inserted->id;

    // ---- the index and the executor ----
    std::string index_error;
    auto index = api::MatchIndex::Create({}, &index_error);
    if (!index) {
        schema::RunFinish finish;
        finish.status = "failed";
        finish.error = "the match index cannot be created: " + index_error;
        (void)(*db)->Write(
            [&](schema::Connection& c) { return schema::FinishRun(c, run_id, finish, NowMs()); });
        err << "renewmatch: " << finish.error << "\n";
        return 1;
    }
    if (lines) err << "run " << run_id << ": loading the match index from " << path << "\n";
    StopSignals signals;
    api::RunEnvironment env;
    env.db = db->get();
    env.index = index->get();
    env.threads = threads;
    env.batch_size = batch;
    env.stop = &g_stop;
    env.stats_epoch_run_id = epoch;
    env.as_of_day = as_of_day;
    int last_step = -1;
    env.on_progress = [&](const schema::RunRecord& r) {
        if (r.progress_total <= 0) return;
        const double fraction =
            static_cast<double>(r.progress_done) / static_cast<double>(r.progress_total);
        if (bar) {
            const int width = 40;
            const int filled = static_cast<int>(fraction * width);
            err << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
                << std::string(static_cast<std::size_t>(width - filled), '.') << "] "
                << std::setw(3) << static_cast<int>(fraction * 100) << "% " << r.progress_done
                << "/" << r.progress_total << " demands" << std::flush;
        } else if (lines) {
            const int step = static_cast<int>(fraction * 20);  // every 5%
            if (step != last_step) {
                last_step = step;
                err << "run " << run_id << ": " << r.progress_done << "/" << r.progress_total
                    << " demands (" << static_cast<int>(fraction * 100) << "%), " << r.results_count
                    << " results\n"
                    << std::flush;
            }
        }
    };
    const auto outcome = api::ExecuteRun(env, run_id);
    if (bar) err << "\n";
    auto row = (*db)->Read([&](schema::Connection& c) { return schema::FindRun(c, run_id); });
    const double seconds = static_cast<double>(NowMs() - started_ms) / 1000.0;
    if (row && *row) {
        const auto& r = **row;
        if (!r.note.empty()) out << "run " << run_id << ": " << r.note << "\n";
        out << "run " << run_id << " " << r.status << ": " << r.demands_total << " demands ("
            << r.demands_scored << " scored, " << r.demands_carried << " carried), "
            << r.results_count << " results, " << r.pairs_examined << " pairs examined, "
            << std::fixed << std::setprecision(1) << seconds << " s";
        if (r.allocated_quantity) {
            out << ", allocated " << *r.allocated_quantity << ", unassigned "
                << r.unassigned_quantity.value_or(0);
        }
        out << "\n";
    }
    if (outcome.status != "succeeded") {
        err << "renewmatch: run " << run_id << " " << outcome.status << ": " << outcome.error
            << "\n";
        return 1;
    }
    return 0;
}

}  // namespace renewmatch::server
