// RunScheduler: the server's match-run job queue (issue 7) behind api::RunQueue.
//
// One job thread (not an I/O thread, not the request work pool) executes runs one at a time, in
// submission order, with api::ExecuteRun against the live MatchIndex (the executor starts the
// matcher's batch worker threads, one per core by default, for the duration of a batch and joins
// them; they run at nice +5 relative to the request handlers, kRunNiceIncrement). Admission:
//   * one run at a time per scope: a scope with a queued or running run refuses a new one
//     (409 run_in_progress; the database is checked as well, for CLI runs);
//   * a bounded queue: more than `max_queue` waiting runs refuses with 429 queue_full;
//   * after Stop(): 503 shutting_down.
// Crash recovery (Recover, called at start-up before Start): every run a previous server process
// left queued or running is marked failed ("interrupted: the server stopped during the run"), as
// is a CLI run whose heartbeat is older than `stale_cli_after`; a run never stays "running".
// Shutdown (Stop): the running run stops at its next batch boundary and is marked failed
// ("interrupted by shutdown"; its partial rows never become latest), queued runs are marked
// failed, and the job thread is joined.
//
// Ownership: borrows the Database and MatchIndex, which must outlive the scheduler.
// Thread-safety: Submit, Cancelled, WaitIdle and Stop may be called from any thread.
#pragma once

#include "api/match_runs.hpp"
#include "schema/errc.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace renewmatch::schema {
class Database;
}  // namespace renewmatch::schema

namespace renewmatch::api {
class MatchIndex;
}  // namespace renewmatch::api

namespace renewmatch::server {

// The job thread lowers its own scheduling priority by this much when it starts (Linux: nice is
// per thread, and the matcher's batch and check threads it starts inherit it), so that request
// handlers win the cores whenever they have work and a run uses what is left.
inline constexpr int kRunNiceIncrement = 5;

struct RunSchedulerOptions {
    std::size_t max_queue = 4;                    // waiting runs (the running one not counted)
    unsigned threads = api::DefaultRunThreads();  // matcher threads per batch
    std::size_t batch_size = 512;                 // demands per batch / write transaction
    std::chrono::milliseconds stale_cli_after{10 * 60 * 1000};
};

class RunScheduler final : public api::RunQueue {
  public:
    RunScheduler(schema::Database& db,
                 api::MatchIndex& index,
                 RunSchedulerOptions options = {},
                 std::function<std::int64_t()> now_ms = {});
    ~RunScheduler() override;
    RunScheduler(const RunScheduler&) = delete;
    RunScheduler& operator=(const RunScheduler&) = delete;

    // Marks abandoned runs failed (see above). Returns their ids.
    Result<std::vector<std::int64_t>> Recover();
    // Starts the job thread.
    void Start();
    // Graceful stop (see above). Idempotent.
    void Stop();
    // Waits until nothing is queued or running; false on timeout.
    bool WaitIdle(std::chrono::milliseconds timeout);

    api::ApiResult<schema::RunRecord> Submit(
        const std::string& scope_key,
        const std::function<api::ApiResult<schema::RunRecord>()>& create) override;
    void Cancelled(std::int64_t run_id) override;

  private:
    struct Job {
        std::int64_t run_id = 0;
        std::string scope_key;
    };
    void Loop();
    std::int64_t Now() const;

    schema::Database& db_;
    api::MatchIndex& index_;
    RunSchedulerOptions options_;
    std::function<std::int64_t()> now_ms_;

    std::mutex mutex_;  // guards everything below but stop_flag_
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::deque<Job> pending_;
    std::optional<Job> running_;
    bool stopping_ = false;
    std::atomic<bool> stop_flag_{false};  // read by the executor between batches
    std::thread thread_;
};

}  // namespace renewmatch::server
