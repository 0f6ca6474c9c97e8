// schema/run_store over a real SQLite file with every migration applied: the run lifecycle
// (queued -> running -> terminal, never back), "latest" = newest succeeded run of a scope (failed
// and cancelled runs never become latest, even when newer), cancellation of queued and running
// runs, crash recovery, results round trip (feature blob), carry-forward, diffs, unassigned rows.
#include "schema/run_store.hpp"

#include "schema/database.hpp"
#include "schema/statement.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace renewmatch::schema {
namespace {

class RunStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto db = Database::Open((dir_ / "runs.db").string());
        ASSERT_OK(db);
        db_ = std::move(*db);
        ASSERT_OK(db_->Migrate());
    }

    RunRecord Insert(const RunScope& scope, std::string status = "queued") {
        NewRun run;
        run.scope = scope;
        run.config_version = "test-1";
        run.status = std::move(status);
        run.now_ms = ++now_;
        auto r = db_->Write([&](Connection& c) { return InsertRun(c, run); });
        EXPECT_OK(r);
        return r ? *r : RunRecord{};
    }

    bool Finish(std::int64_t id, std::string status) {
        RunFinish f;
        f.status = std::move(status);
        auto r = db_->Write([&](Connection& c) { return FinishRun(c, id, f, ++now_); });
        EXPECT_OK(r);
        return r && r->applied;
    }

    std::optional<std::int64_t> Latest(const RunScope& scope) {
        auto r = db_->Read([&](Connection& c) { return LatestSucceededRun(c, scope.Key()); });
        EXPECT_OK(r);
        if (!r || !*r) return std::nullopt;
        return (*r)->id;
    }

    static ResultRow Row(std::int64_t demand, std::int64_t rank, std::int64_t supply, double s) {
        ResultRow r;
        r.demand_id = demand;
        r.rank = rank;
        r.supply_id = supply;
        r.vendor_id = 7;
        r.score = s;
        for (std::size_t i = 0; i < r.features.size(); ++i) {
            r.features[i] = s / static_cast<double>(i + 1);
        }
        return r;
    }

    testing::TempDir dir_;
    std::unique_ptr<Database> db_;
    std::int64_t now_ = 1'000;
};

TEST_F(RunStoreTest, ScopeKeyIsCanonical) {
    RunScope a{"4213", "32", 5};
    EXPECT_EQ(a.Key(), "class=4213;region=32;org=5");
    EXPECT_EQ(RunScope{}.Key(), "class=;region=;org=");
    EXPECT_NE(RunScope{}.Key(), (RunScope{"", "", 0}).Key());
}

TEST_F(RunStoreTest, LifecycleAndLatestIgnoresFailedAndCancelled) {
    const RunScope scope{"42", "", std::nullopt};
    const RunScope other{"", "32", std::nullopt};
    EXPECT_FALSE(Latest(scope));

    auto first = Insert(scope);
    EXPECT_EQ(first.status, "queued");
    EXPECT_EQ(first.scope_key, scope.Key());
    ASSERT_OK(db_->Write([&](Connection& c) { return StartRun(c, first.id, ++now_); }));
    EXPECT_FALSE(Latest(scope)) << "a running run is not latest";
    ASSERT_TRUE(Finish(first.id, "succeeded"));
    EXPECT_EQ(Latest(scope), first.id);
    EXPECT_FALSE(Finish(first.id, "failed")) << "a terminal run never changes status again";

    auto failed = Insert(scope, "running");
    ASSERT_TRUE(Finish(failed.id, "failed"));
    auto cancelled = Insert(scope, "running");
    ASSERT_TRUE(Finish(cancelled.id, "cancelled"));
    auto running = Insert(scope, "running");
    EXPECT_EQ(Latest(scope), first.id) << "failed, cancelled and running runs never become latest";

    auto elsewhere = Insert(other, "running");
    ASSERT_TRUE(Finish(elsewhere.id, "succeeded"));
    EXPECT_EQ(Latest(scope), first.id) << "latest is per scope";
    EXPECT_EQ(Latest(other), elsewhere.id);

    ASSERT_TRUE(Finish(running.id, "succeeded"));
    EXPECT_EQ(Latest(scope), running.id);

    auto page = db_->Read([&](Connection& c) { return ListRuns(c, RunQuery{"", "", 0, 3}); });
    ASSERT_OK(page);
    ASSERT_EQ(page->size(), 3u);
    EXPECT_EQ(page->front().id, elsewhere.id) << "newest first";
    auto next = db_->Read([&](Connection& c) {
        return ListRuns(c, RunQuery{"", "", page->back().id, 10});
    });
    ASSERT_OK(next);
    EXPECT_EQ(next->size(), 2u);
    auto failed_only = db_->Read([&](Connection& c) {
        return ListRuns(c, RunQuery{"failed", "", 0, 10});
    });
    ASSERT_OK(failed_only);
    ASSERT_EQ(failed_only->size(), 1u);
    EXPECT_EQ(failed_only->front().id, failed.id);
}

TEST_F(RunStoreTest, CancelQueuedAtOnceRunningOnRequest) {
    auto queued = Insert({});
    auto after = db_->Write([&](Connection& c) { return RequestCancel(c, queued.id, ++now_); });
    ASSERT_OK(after);
    ASSERT_TRUE(*after);
    EXPECT_EQ((*after)->status, "cancelled");
    auto started = db_->Write([&](Connection& c) { return StartRun(c, queued.id, ++now_); });
    ASSERT_OK(started);
    EXPECT_FALSE(started->applied) << "a cancelled run cannot start";

    auto running = Insert({}, "running");
    auto flagged = db_->Read([&](Connection& c) { return CancelRequested(c, running.id); });
    ASSERT_OK(flagged);
    EXPECT_FALSE(flagged->requested);
    auto req = db_->Write([&](Connection& c) { return RequestCancel(c, running.id, ++now_); });
    ASSERT_OK(req);
    EXPECT_EQ((*req)->status, "running");
    EXPECT_TRUE((*req)->cancel_requested);
    flagged = db_->Read([&](Connection& c) { return CancelRequested(c, running.id); });
    ASSERT_OK(flagged);
    EXPECT_TRUE(flagged->requested);

    auto none = db_->Write([&](Connection& c) { return RequestCancel(c, 999, ++now_); });
    ASSERT_OK(none);
    EXPECT_FALSE(*none);
}

TEST_F(RunStoreTest, CrashRecoveryFailsAbandonedRunsOfTheRunner) {
    auto server_running = Insert({}, "running");
    auto server_queued = Insert({"1", "", std::nullopt});
    NewRun cli;
    cli.config_version = "v";
    cli.status = "running";
    cli.runner = "cli";
    cli.now_ms = ++now_;
    auto cli_run = db_->Write([&](Connection& c) { return InsertRun(c, cli); });
    ASSERT_OK(cli_run);
    auto done = Insert({}, "running");
    ASSERT_TRUE(Finish(done.id, "succeeded"));

    auto failed = db_->Write([&](Connection& c) {
        return FailAbandonedRuns(c, "server", std::numeric_limits<std::int64_t>::max(),
                                 "interrupted by a restart", ++now_);
    });
    ASSERT_OK(failed);
    EXPECT_EQ(*failed, (std::vector<std::int64_t>{server_running.id, server_queued.id}));
    auto active = db_->Read([](Connection& c) { return ActiveRuns(c); });
    ASSERT_OK(active);
    ASSERT_EQ(active->size(), 1u);
    EXPECT_EQ(active->front().id, cli_run->id) << "another runner's live run is left alone";
    auto row = db_->Read([&](Connection& c) { return FindRun(c, server_running.id); });
    ASSERT_OK(row);
    EXPECT_EQ((*row)->status, "failed");
    EXPECT_EQ((*row)->error, "interrupted by a restart");

    // A stale heartbeat fails a run of any runner.
    auto stale = db_->Write([&](Connection& c) {
        return FailAbandonedRuns(c, "", cli_run->created_at_ms + 1, "stale", ++now_);
    });
    ASSERT_OK(stale);
    EXPECT_EQ(*stale, std::vector<std::int64_t>{cli_run->id});
    auto again = db_->Read([&](Connection& c) { return FindRun(c, done.id); });
    EXPECT_EQ((*again)->status, "succeeded");
}

TEST_F(RunStoreTest, ResultsRoundTripCarryForwardDiffsUnassigned) {
    auto base = Insert({}, "running");
    std::vector<ResultRow> rows = {Row(10, 1, 100, 0.9), Row(10, 2, 101, 0.8), Row(11, 1, 100, 0.7),
                                   Row(12, 1, 102, 0.1 + 0.2)};
    std::vector<DemandSummary> summaries = {{10, 3, false, 2, 5, 4, 0.8, 2, 7.5, 100},
                                            {11, 1, false, 1, 3, 3, std::nullopt, 1, 0, 0},
                                            {12, 1, false, 1, 1, 1, std::nullopt, 5, 1, 102}};
    ASSERT_OK(db_->Write([&](Connection& c) -> Result<void> {
        if (auto r = InsertResults(c, base.id, rows); !r) return r;
        return InsertDemandSummaries(c, base.id, summaries);
    }));
    ResultQuery q;
    q.run_id = base.id;
    auto all = db_->Read([&](Connection& c) { return ListResults(c, q); });
    ASSERT_OK(all);
    EXPECT_EQ(*all, rows) << "scores and feature values round-trip bit for bit";

    q.limit = 2;
    auto page1 = db_->Read([&](Connection& c) { return ListResults(c, q); });
    ASSERT_OK(page1);
    ASSERT_EQ(page1->size(), 2u);
    q.after_demand = page1->back().demand_id;
    q.after_rank = page1->back().rank;
    auto page2 = db_->Read([&](Connection& c) { return ListResults(c, q); });
    ASSERT_OK(page2);
    ASSERT_EQ(page2->size(), 2u);
    EXPECT_EQ((*page2)[0], rows[2]);
    EXPECT_EQ((*page2)[1], rows[3]);
    ResultQuery one;
    one.run_id = base.id;
    one.demand_id = 11;
    auto only = db_->Read([&](Connection& c) { return ListResults(c, one); });
    ASSERT_OK(only);
    ASSERT_EQ(only->size(), 1u);
    EXPECT_EQ(only->front(), rows[2]);

    auto next = Insert({}, "running");
    ASSERT_OK(db_->Write([&](Connection& c) -> Result<void> {
        auto copied = CarryForward(c, base.id, next.id, 10);
        if (!copied) return copied.error();
        EXPECT_EQ(*copied, 2);
        if (auto r = SetAllocatedQuantity(c, next.id, 10, 1, 1.5); !r) return r;
        if (auto r = InsertDiffs(c, next.id,
                                 std::vector<DiffRow>{{10, 103, "entered", std::nullopt, 2},
                                                      {10, 101, "left", 2, std::nullopt}});
            !r) {
            return r;
        }
        return InsertUnassigned(c, next.id, std::vector<UnassignedRow>{{10, 0.5, "capacity"}});
    }));
    auto carried = db_->Read([&](Connection& c) { return ResultsInRange(c, next.id, 0, 100); });
    ASSERT_OK(carried);
    ASSERT_EQ(carried->size(), 2u);
    EXPECT_EQ((*carried)[0].allocated_quantity, 1.5);
    auto plain = (*carried)[0];
    plain.allocated_quantity.reset();
    EXPECT_EQ(plain, rows[0]);
    EXPECT_EQ((*carried)[1], rows[1]);
    auto sums = db_->Read([&](Connection& c) { return ListDemandSummaries(c, next.id); });
    ASSERT_OK(sums);
    ASSERT_EQ(sums->size(), 1u);
    EXPECT_TRUE(sums->front().carried);
    EXPECT_EQ(sums->front().kth_score, 0.8);
    EXPECT_EQ(sums->front().demand_revision, 3);
    EXPECT_EQ(sums->front().text_normaliser, 7.5);
    EXPECT_EQ(sums->front().text_normaliser_id, 100);

    auto diffs = db_->Read([&](Connection& c) { return ListDiffs(c, next.id, 10); });
    ASSERT_OK(diffs);
    ASSERT_EQ(diffs->size(), 2u);
    EXPECT_EQ((*diffs)[0].supply_id, 101);
    EXPECT_EQ((*diffs)[0].change, "left");
    auto unassigned = db_->Read([&](Connection& c) { return ListUnassigned(c, next.id, {}); });
    ASSERT_OK(unassigned);
    ASSERT_EQ(unassigned->size(), 1u);
    EXPECT_EQ(unassigned->front().reason, "capacity");

    // Latest for a demand: only succeeded runs count.
    auto latest = db_->Read([](Connection& c) { return LatestSucceededRunForDemand(c, 10); });
    ASSERT_OK(latest);
    EXPECT_FALSE(*latest);
    ASSERT_TRUE(Finish(base.id, "succeeded"));
    ASSERT_TRUE(Finish(next.id, "cancelled"));
    latest = db_->Read([](Connection& c) { return LatestSucceededRunForDemand(c, 10); });
    ASSERT_OK(latest);
    EXPECT_EQ(*latest, base.id) << "the cancelled run's results never become latest";
}

TEST_F(RunStoreTest, StatisticsEpochPinsTermsOnce) {
    auto epoch = Insert({}, "running");
    auto missing = db_->Read([&](Connection& c) { return LoadStatisticsEpoch(c, epoch.id); });
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), make_error_code(Errc::kNotFound));
    using Terms = std::vector<std::pair<std::string, std::uint32_t>>;
    ASSERT_OK(db_->Write([&](Connection& c) -> Result<void> {
        if (auto r = SaveStatisticsEpoch(c, epoch.id, 1000, 12.25); !r) return r;
        if (auto r = PinTerms(c, epoch.id, Terms{{"车床", 40}, {"cnc", 7}}); !r) return r;
        return PinTerms(c, epoch.id, Terms{{"车床", 99}, {"机器人", 3}});
    }));
    auto stats = db_->Read([&](Connection& c) { return LoadStatisticsEpoch(c, epoch.id); });
    ASSERT_OK(stats);
    EXPECT_EQ(stats->live_count, 1000);
    EXPECT_EQ(stats->average_length, 12.25);
    const std::vector<std::pair<std::string, std::int64_t>> expected = {
        {"cnc", 7}, {"机器人", 3}, {"车床", 40}};
    EXPECT_EQ(stats->terms, expected) << "a pinned term keeps its first df";
}

TEST_F(RunStoreTest, ConstraintsRefuseBadRows) {
    NewRun bad;
    bad.mode = "sometimes";
    bad.config_version = "v";
    bad.now_ms = 1;
    auto r = db_->Write([&](Connection& c) { return InsertRun(c, bad); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(Errc::kConflict));
    RunFinish f;
    f.status = "done";
    auto run = Insert({}, "running");
    auto fin = db_->Write([&](Connection& c) { return FinishRun(c, run.id, f, 5); });
    ASSERT_FALSE(fin);
}

}  // namespace
}  // namespace renewmatch::schema
