// renewmatchd: the renewmatch HTTPS service. The composition root: reads the configuration,
// opens and migrates the database, builds the api::Service with every owner's routes plus the
// server's own, and runs the HttpServer until SIGINT/SIGTERM.
//
// Exit status: 0 after a graceful shutdown; 1 when the database cannot be opened or migrated,
// or the drain deadline passed; 2 on a configuration error (message names the setting).
#include "api/answer_cache.hpp"
#include "api/app_context.hpp"
#include "api/auth.hpp"
#include "api/match_index.hpp"
#include "api/router.hpp"
#include "api/service.hpp"
#include "schema/database.hpp"
#include "server/app.hpp"
#include "server/config.hpp"
#include "server/http_server.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/run_scheduler.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace rs = renewmatch::server;

int main(int argc, char** argv) {
    // A log line written after the reader of stdout went away must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);

    auto command_line = rs::ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
    if (!command_line) {
        std::cerr << "renewmatchd: " << command_line.error().message << "\n";
        return 2;
    }
    if (command_line->help) {
        std::cout << rs::DaemonUsage();
        return 0;
    }
    if (command_line->version) {
        std::cout << "renewmatchd 0.1.0\n";
        return 0;
    }
    auto config = rs::LoadConfig(*command_line, rs::EnvironmentMap());
    if (!config) {
        std::cerr << "renewmatchd: " << config.error().message << "\n";
        return 2;
    }

    for (const auto& warning : config->warnings) rs::LogEvent("warn", warning);

    renewmatch::schema::DatabaseOptions db_options;
    db_options.reader_count = config->db_readers;
    std::string why;
    auto db = renewmatch::schema::Database::Open(config->db_path, db_options, &why);
    if (!db) {
        std::cerr << "renewmatchd: cannot open database '" << config->db_path
                  << "' (setting db): " << (why.empty() ? db.error().message() : why) << "\n";
        return 1;
    }
    const int from_version = (*db)->SchemaVersion();
    auto version = (*db)->Migrate(&why);
    if (!version) {
        std::cerr << "renewmatchd: migrating '" << config->db_path
                  << "' failed: " << (why.empty() ? version.error().message() : why) << "\n";
        return 1;
    }
    rs::LogEvent("info", "database ready",
                 {{"path", config->db_path},
                  {"fromVersion", std::to_string(from_version)},
                  {"schemaVersion", std::to_string(*version)}});

    renewmatch::api::AppContext app;
    app.db = db->get();

    // The live match index (issue 6): loaded on its own thread once the server is listening;
    // /readyz is 503 ("match_index") until then, and every line write catches it up.
    std::string index_error;
    auto match_index = renewmatch::api::MatchIndex::Create({}, &index_error);
    if (!match_index) {
        std::cerr << "renewmatchd: cannot start the match index: " << index_error << "\n";
        return 1;
    }
    rs::WireMatchIndex(app, **match_index, **db);
    // Answers of the match routes, per (line, limit, change_seq, day, config): a repeated query
    // costs a lookup; any index change or a new day makes older answers unusable.
    renewmatch::api::AnswerCacheOptions cache_options;
    cache_options.max_bytes = static_cast<std::size_t>(config->match_cache_size);
    renewmatch::api::AnswerCache answer_cache(cache_options);
    if (config->match_cache_size > 0) app.answer_cache = &answer_cache;
    rs::LogEvent(
        "info", "match answer cache",
        {{"maxBytes", std::to_string(config->match_cache_size)},
         {"enabled", config->match_cache_size > 0 ? "true" : "false"},
         {"warmup", config->match_cache_warmup && app.answer_cache != nullptr ? "true" : "false"},
         {"warmupThreads", std::to_string(config->match_cache_warmup_threads)}});
    // Optional warm-up: a pass once the index is ready, another after every catch-up.
    std::unique_ptr<rs::AnswerCacheWarmer> warmer;
    if (config->match_cache_warmup && app.answer_cache != nullptr) {
        warmer = std::make_unique<rs::AnswerCacheWarmer>(
            app, **match_index, answer_cache,
            static_cast<unsigned>(config->match_cache_warmup_threads));
        app.on_lines_changed = [catch_up = app.on_lines_changed, w = warmer.get()] {
            catch_up();
            w->Poke();
        };
    }

    // Match runs (issue 7): one job thread executes POST /v1/match-runs against the live index
    // (server/run_scheduler.hpp). Runs a previous process left queued or running are marked
    // failed first, so a run never stays "running" after a crash.
    rs::RunScheduler run_scheduler(**db, **match_index);
    if (auto recovered = run_scheduler.Recover(); !recovered) {
        std::cerr << "renewmatchd: recovering match runs failed: " << recovered.error().message()
                  << "\n";
        return 1;
    }
    app.runs = &run_scheduler;
    run_scheduler.Start();
    renewmatch::api::Service service(app);
    rs::Metrics metrics;
    renewmatch::api::RegisterAllRoutes(service.router());
    rs::RegisterMetricsRoute(service.router(), metrics);
    if (config->enable_test_routes) {
        rs::RegisterTestRoutes(service.router());
        rs::LogEvent("warn", "test routes enabled (/_test/*); never do this in production");
    }

    // Access control (issue 3): API-key authentication against the database and a per-key
    // token bucket (api/auth.hpp). The first administrator key is made offline with
    // `renewmatch admin bootstrap --db PATH`, which prints it once: the daemon never writes a
    // secret into its log stream.
    // rate_limit_per_second = 0 disables the limiter (InstallAccessControl takes null).
    std::shared_ptr<renewmatch::api::TokenBucketLimiter> rate_limiter;
    if (config->rate_limit_per_second > 0) {
        renewmatch::api::RateLimitOptions rate;
        rate.rate_per_second = config->rate_limit_per_second;
        rate.burst = config->rate_limit_burst;
        rate_limiter = std::make_shared<renewmatch::api::TokenBucketLimiter>(rate);
    }
    renewmatch::api::InstallAccessControl(service, **db, rate_limiter);

    rs::ServiceHandler handler(service);
    auto server = rs::HttpServer::Create(*config, handler, metrics);
    if (!server) {
        std::cerr << "renewmatchd: " << server.error().message << "\n";
        return 2;
    }
    std::thread index_loader = rs::StartMatchIndexLoad(app, **match_index, **db);
    const int rc = (*server)->Run();
    if (rc != 0) {
        // The drain deadline passed with work still running: leave without waiting for it. The
        // database is transactional, so abandoned requests leave nothing half-written.
        // std::_Exit skips the log's atexit hook: write the buffered request lines first.
        rs::FlushLog();
        std::fflush(stdout);
        std::_Exit(rc);
    }
    run_scheduler.Stop();  // a running match run stops at its next batch (failed, never latest)
    if (warmer) warmer->Stop();    // between two demands
    (*match_index)->CancelLoad();  // a load still running stops at its next batch of rows
    index_loader.join();           // (nothing to undo: it publishes nothing)
    return 0;
}
