// server::RunScheduler behind the real /v1/match-runs routes, and `renewmatch match-run`:
// POST -> 202 + Location, the job thread runs it to succeeded; a second run of the same scope
// while one is queued or running is 409 run_in_progress; a full queue is 429 queue_full;
// DELETE cancels a queued run at once (200) and it never runs; crash recovery fails runs a
// previous process left running; Stop() fails the running and queued runs; the CLI and the API
// produce identical results on the same data; CLI exit codes and refusal of a busy scope.
#include "server/run_scheduler.hpp"

#include "server/cli.hpp"
#include "tests/api/match_runs_fixture.hpp"

#include <filesystem>
#include <sstream>
#include <thread>

namespace renewmatch::server {
namespace {

using Fixture = api::testing::MatchRunsFixture;
namespace http = api::http;

class RunSchedulerTest : public Fixture {
  protected:
    void StartScheduler(RunSchedulerOptions options = {}) {
        options.batch_size = 5;
        scheduler_ = std::make_unique<RunScheduler>(*db_, *index_, options,
                                                    [this] { return now_ms_.load(); });
        ASSERT_OK(scheduler_->Recover());
        app_.runs = scheduler_.get();
        scheduler_->Start();
    }
    void TearDown() override {
        if (scheduler_) scheduler_->Stop();
        app_.runs = nullptr;
    }

    api::JsonDocument Json(const api::HttpResponse& r) {
        auto doc = api::ParseDocument(r.body());
        EXPECT_TRUE(doc.has_value()) << r.body();
        return doc ? std::move(*doc) : api::JsonDocument();
    }
    std::string RunStatus(std::int64_t id) {
        auto r = db_->Read([&](schema::Connection& c) { return schema::FindRun(c, id); });
        return r && *r ? (*r)->status : "?";
    }

    std::unique_ptr<RunScheduler> scheduler_;
};

TEST_F(RunSchedulerTest, PostRunsOnTheJobThreadAndAdmissionIsBounded) {
    PublishData(80, 15, 0);
    // Hold the job thread: a run of scope A that waits for its first batch to be released.
    StartScheduler(RunSchedulerOptions{1, 1, 5, std::chrono::minutes(10)});
    auto first = Send(http::verb::post, "/v1/match-runs", "job", R"({"mode":"full"})");
    ASSERT_EQ(first.result_int(), 202u) << first.body();
    const auto id = Json(first)["id"].GetInt64();
    EXPECT_EQ(first[http::field::location], "/v1/match-runs/" + std::to_string(id));
    ASSERT_TRUE(scheduler_->WaitIdle(std::chrono::seconds(60)));
    EXPECT_EQ(RunStatus(id), "succeeded");
    auto got = Send(http::verb::get, "/v1/match-runs/" + std::to_string(id), "buyer");
    ASSERT_EQ(got.result_int(), 200u);
    EXPECT_EQ(std::string(Json(got)["status"].GetString()), "succeeded");

    // Audit row for the write.
    auto audited = db_->Read([&](schema::Connection& c) -> Result<std::int64_t> {
        auto stmt = c.Prepare("SELECT count(*) FROM audit_log WHERE action = 'match_run.create'");
        if (!stmt) return stmt.error();
        auto row = stmt->Step();
        if (!row) return row.error();
        return stmt->ColumnInt64(0);
    });
    ASSERT_OK(audited);
    EXPECT_EQ(*audited, 1);

    // A run "running" in the database (the CLI, say) holds its scope: 409.
    auto cli = db_->Write([&](schema::Connection& c) {
        api::RunRequest r;
        r.scope.region = "32";
        return schema::InsertRun(c, api::MakeNewRun(r, "cli", now_ms_.load()));
    });
    ASSERT_OK(cli);
    auto busy = Send(http::verb::post, "/v1/match-runs", "job",
                     R"({"mode":"full","scope":{"region":"32"}})");
    EXPECT_EQ(busy.result_int(), 409u) << busy.body();
    EXPECT_NE(busy.body().find("run_in_progress"), std::string::npos);
    ASSERT_OK(db_->Write([&](schema::Connection& c) {
        schema::RunFinish f;
        f.status = "failed";
        return schema::FinishRun(c, cli->id, f, now_ms_.load());
    }));

    // Queue bound 1: stop the job thread from taking work by stopping... use a fresh scheduler
    // whose thread is not started, so submissions stay queued.
    scheduler_->Stop();
    scheduler_ = std::make_unique<RunScheduler>(*db_, *index_, RunSchedulerOptions{1, 1, 5, {}},
                                                [this] { return now_ms_.load(); });
    app_.runs = scheduler_.get();
    auto queued =
        Send(http::verb::post, "/v1/match-runs", "admin", R"({"mode":"full","scope":{"orgId":1}})");
    ASSERT_EQ(queued.result_int(), 202u) << queued.body();
    const auto queued_id = Json(queued)["id"].GetInt64();
    auto same = Send(http::verb::post, "/v1/match-runs", "job",
                     R"({"mode":"incremental","scope":{"orgId":1}})");
    EXPECT_EQ(same.result_int(), 409u) << "one run at a time per scope";
    auto full =
        Send(http::verb::post, "/v1/match-runs", "job", R"({"mode":"full","scope":{"orgId":2}})");
    EXPECT_EQ(full.result_int(), 429u) << full.body();
    EXPECT_NE(full.body().find("queue_full"), std::string::npos);
    EXPECT_EQ(Send(http::verb::post, "/v1/match-runs", "buyer", R"({"mode":"full"})").result_int(),
              403u);

    // DELETE of the queued run: cancelled at once, never runs, frees the queue.
    auto cancel = Send(http::verb::delete_, "/v1/match-runs/" + std::to_string(queued_id), "job");
    ASSERT_EQ(cancel.result_int(), 200u) << cancel.body();
    EXPECT_EQ(RunStatus(queued_id), "cancelled");
    auto again = Send(http::verb::delete_, "/v1/match-runs/" + std::to_string(queued_id), "job");
    EXPECT_EQ(again.result_int(), 200u) << "cancelling a cancelled run is idempotent";
    auto done = Send(http::verb::delete_, "/v1/match-runs/" + std::to_string(id), "job");
    EXPECT_EQ(done.result_int(), 409u) << "a succeeded run cannot be cancelled";
    auto next =
        Send(http::verb::post, "/v1/match-runs", "job", R"({"mode":"full","scope":{"orgId":2}})");
    EXPECT_EQ(next.result_int(), 202u) << next.body();
    const auto next_id = Json(next)["id"].GetInt64();
    scheduler_->Start();
    ASSERT_TRUE(scheduler_->WaitIdle(std::chrono::seconds(60)));
    EXPECT_EQ(RunStatus(next_id), "succeeded");
    EXPECT_EQ(RunStatus(queued_id), "cancelled");

    auto listed = Send(http::verb::get, "/v1/match-runs?limit=2", "job");
    ASSERT_EQ(listed.result_int(), 200u);
    auto page = Json(listed);
    EXPECT_EQ(page["items"].Size(), 2u);
    EXPECT_TRUE(page["hasMore"].GetBool());
    auto second =
        Send(http::verb::get,
             std::string("/v1/match-runs?limit=2&cursor=") + page["nextCursor"].GetString(), "job");
    ASSERT_EQ(second.result_int(), 200u);
    EXPECT_LT(Json(second)["items"][0]["id"].GetInt64(), page["items"][1]["id"].GetInt64());
}

TEST_F(RunSchedulerTest, RecoveryAndStopNeverLeaveARunRunning) {
    PublishData(40, 10, 0);
    auto left = db_->Write([&](schema::Connection& c) {
        auto n = api::MakeNewRun(api::RunRequest{}, "server", now_ms_.load());
        n.status = "running";
        return schema::InsertRun(c, n);
    });
    ASSERT_OK(left);
    StartScheduler();
    EXPECT_EQ(RunStatus(left->id), "failed") << "a run a crashed server left running";

    // Stop while a submitted run is queued behind nothing: the loop has it or the queue has
    // it; either way after Stop() it is not queued or running.
    scheduler_->Stop();
    auto refused = Send(http::verb::post, "/v1/match-runs", "job", R"({"mode":"full"})");
    EXPECT_EQ(refused.result_int(), 503u);
    auto active = db_->Read([](schema::Connection& c) { return schema::ActiveRuns(c); });
    ASSERT_OK(active);
    EXPECT_TRUE(active->empty());
}

TEST_F(RunSchedulerTest, CliAndApiProduceIdenticalResults) {
    PublishData(100, 20, 0);
    // A copy of the database for the CLI, taken before any run.
    const auto copy = (dir_ / "cli.db").string();
    {
        std::ostringstream out, err;
        ASSERT_EQ(
            RunCli({"db", "backup", "--db", (dir_ / "runs.db").string(), "--to", copy}, out, err),
            0)
            << err.str();
    }
    StartScheduler();
    auto posted = Send(http::verb::post, "/v1/match-runs", "job",
                       R"({"mode":"full","allocate":true,"topK":7})");
    ASSERT_EQ(posted.result_int(), 202u) << posted.body();
    const auto api_run = Json(posted)["id"].GetInt64();
    ASSERT_TRUE(scheduler_->WaitIdle(std::chrono::seconds(120)));
    ASSERT_EQ(RunStatus(api_run), "succeeded");

    std::ostringstream out, err;
    const int rc = RunCli({"match-run", "--db", copy, "--mode", "full", "--allocate", "--top-k",
                           "7", "--threads", "2", "--progress", "lines", "--today", "2026-03-01"},
                          out, err);
    ASSERT_EQ(rc, 0) << out.str() << err.str();
    EXPECT_NE(out.str().find(" succeeded: 40 demands"), std::string::npos) << out.str();
    EXPECT_NE(err.str().find("100%"), std::string::npos) << "plain progress lines: " << err.str();

    auto cli_db = schema::Database::Open(copy);
    ASSERT_OK(cli_db);
    auto cli_latest = (*cli_db)->Read([](schema::Connection& c) {
        return schema::LatestSucceededRun(c, schema::RunScope{}.Key());
    });
    ASSERT_OK(cli_latest);
    ASSERT_TRUE(*cli_latest);
    EXPECT_EQ((*cli_latest)->runner, "cli");
    auto all = [](schema::Database& db, std::int64_t run) {
        auto rows = db.Read([&](schema::Connection& c) {
            return schema::ResultsInRange(c, run, 0, std::numeric_limits<std::int64_t>::max());
        });
        return rows ? *rows : std::vector<schema::ResultRow>{};
    };
    const auto from_api = all(*db_, api_run);
    const auto from_cli = all(**cli_db, (*cli_latest)->id);
    ASSERT_FALSE(from_api.empty());
    ASSERT_FALSE(from_cli.empty()) << out.str() << err.str();
    EXPECT_EQ(from_api, from_cli) << "same data, same code: identical rankings and allocation";

    // Usage and refusal exit codes.
    std::ostringstream o2, e2;
    EXPECT_EQ(RunCli({"match-run", "--db", copy, "--mode", "sometimes"}, o2, e2), 2);
    auto holder = (*cli_db)->Write([&](schema::Connection& c) {
        auto n = api::MakeNewRun(api::RunRequest{}, "server", now_ms_.load() + 10'000'000'000);
        n.status = "running";
        return schema::InsertRun(c, n);
    });
    ASSERT_OK(holder);
    std::ostringstream o3, e3;
    EXPECT_EQ(RunCli({"match-run", "--db", copy}, o3, e3), 1);
    EXPECT_NE(e3.str().find("of this scope is running"), std::string::npos) << e3.str();
}

}  // namespace
}  // namespace renewmatch::server
