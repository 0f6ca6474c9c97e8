#include "server/run_scheduler.hpp"

#include "api/match_index.hpp"
#include "schema/database.hpp"
#include "schema/run_store.hpp"
#include "server/log.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>

namespace renewmatch::server {

RunScheduler::RunScheduler(schema::Database& db,
                           api::MatchIndex& index,
                           RunSchedulerOptions options,
                           std::function<std::int64_t()> now_ms)
    : db_(db), index_(index), options_(options), now_ms_(std::move(now_ms)) {}

RunScheduler::~RunScheduler() {
    Stop();
}

std::int64_t RunScheduler::Now() const {
    if (now_ms_) return now_ms_();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Result<std::vector<std::int64_t>> RunScheduler::Recover() {
    const std::int64_t now = Now();
    auto server_runs = db_.Write([&](schema::Connection& c) {
        return schema::FailAbandonedRuns(c, "server", std::numeric_limits<std::int64_t>::max(),
                                         "interrupted: the server stopped during the run", now);
    });
    if (!server_runs) return server_runs.error();
    auto cli_runs = db_.Write([&](schema::Connection& c) {
        return schema::FailAbandonedRuns(c, "cli", now - options_.stale_cli_after.count(),
                                         "abandoned: no progress from the CLI run", now);
    });
    if (!cli_runs) return cli_runs.error();
    std::vector<std::int64_t> ids = *server_runs;
    ids.insert(ids.end(), cli_runs->begin(), cli_runs->end());
    for (const auto id : ids) {
        LogEvent("warn", "match run marked failed at start-up", {{"runId", std::to_string(id)}});
    }
    return ids;
}

void RunScheduler::Start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable() || stopping_) return;
    thread_ = std::thread([this] { Loop(); });
}

void RunScheduler::Stop() {
    std::deque<Job> dropped;
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
        stop_flag_.store(true);
        dropped.swap(pending_);
    }
    wake_.notify_all();
    const std::int64_t now = Now();
    for (const auto& job : dropped) {
        schema::RunFinish finish;
        finish.status = "failed";
        finish.error = "the server shut down before the run started";
        (void)db_.Write(
            [&](schema::Connection& c) { return schema::FinishRun(c, job.run_id, finish, now); });
    }
    if (thread_.joinable()) thread_.join();
    idle_.notify_all();
}

bool RunScheduler::WaitIdle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, timeout, [&] { return pending_.empty() && !running_; });
}

api::ApiResult<schema::RunRecord> RunScheduler::Submit(
    const std::string& scope_key,
    const std::function<api::ApiResult<schema::RunRecord>()>& create) {
    std::lock_guard lock(mutex_);
    if (stopping_) {
        return api::ApiError::Make(Errc::kUnavailable, "the server is shutting down",
                                   "shutting_down");
    }
    auto busy = [&](const Job& j) { return j.scope_key == scope_key; };
    const Job* holder = nullptr;
    if (running_ && busy(*running_)) holder = &*running_;
    for (const auto& j : pending_) {
        if (holder == nullptr && busy(j)) holder = &j;
    }
    if (holder != nullptr) {
        auto e = api::ApiError::Make(
            Errc::kConflict,
            "run " + std::to_string(holder->run_id) + " of this scope is queued or running",
            "run_in_progress");
        e.headers.emplace_back("Location", "/v1/match-runs/" + std::to_string(holder->run_id));
        return e;
    }
    if (pending_.size() >= options_.max_queue) {
        auto e =
            api::ApiError::Make(Errc::kRateLimited,
                                "the match-run queue is full (" +
                                    std::to_string(options_.max_queue) + " waiting); retry later",
                                "queue_full");
        e.headers.emplace_back("Retry-After", "60");
        return e;
    }
    auto run = create();
    if (!run) return run;
    pending_.push_back(Job{run->id, scope_key});
    wake_.notify_all();
    return run;
}

void RunScheduler::Cancelled(std::int64_t run_id) {
    {
        std::lock_guard lock(mutex_);
        pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                      [&](const Job& j) { return j.run_id == run_id; }),
                       pending_.end());
    }
    idle_.notify_all();
    wake_.notify_all();
}

void RunScheduler::Loop() {
    {
        // Per thread on Linux (the tid is the "process" of setpriority); threads started from
        // here inherit it. Failure only costs responsiveness: log and go on.
        const auto tid = static_cast<id_t>(syscall(SYS_gettid));
        errno = 0;
        const int current = getpriority(PRIO_PROCESS, tid);
        if ((current == -1 && errno != 0) ||
            setpriority(PRIO_PROCESS, tid, std::min(19, current + kRunNiceIncrement)) != 0) {
            LogEvent("warn", "match runs execute at normal priority (setpriority failed)");
        }
    }
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
            if (stopping_) return;
            job = pending_.front();
            pending_.pop_front();
            running_ = job;
        }
        auto started = db_.Write(
            [&](schema::Connection& c) { return schema::StartRun(c, job.run_id, Now()); });
        if (started && started->applied) {
            LogEvent("info", "match run started", {{"runId", std::to_string(job.run_id)}});
            api::RunEnvironment env;
            env.db = &db_;
            env.index = &index_;
            env.threads = options_.threads;
            env.batch_size = options_.batch_size;
            env.now_ms = now_ms_;
            env.stop = &stop_flag_;
            const auto outcome = api::ExecuteRun(env, job.run_id);
            LogEvent(outcome.status == "succeeded" ? "info" : "warn", "match run finished",
                     {{"runId", std::to_string(job.run_id)},
                      {"status", outcome.status},
                      {"error", outcome.error},
                      {"demandsScored", std::to_string(outcome.progress.demands_scored)},
                      {"demandsCarried", std::to_string(outcome.progress.demands_carried)},
                      {"results", std::to_string(outcome.progress.results_count)}});
        } else if (!started) {
            LogEvent("error", "match run could not start",
                     {{"runId", std::to_string(job.run_id)}, {"error", started.error().message()}});
        }
        {
            std::lock_guard lock(mutex_);
            running_.reset();
        }
        idle_.notify_all();
    }
}

}  // namespace renewmatch::server
