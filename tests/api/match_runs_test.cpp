// The match-run executor (api/match_runs.hpp) over a real SQLite file and a real MatchIndex:
// a full run stores exactly the matcher's ranking for every open demand of the scope; scopes
// filter; allocation never over-commits and is stored; the diff against the previous run;
// cancellation and failure never become "latest"; an incremental run after catalog and demand
// changes equals a full run of the same statistics epoch on the same data, while rescoring
// fewer demands (also over rounds of random changes of every kind); POST body validation.
#include "api/match_runs.hpp"

#include "api/app_context.hpp"
#include "api/json.hpp"
#include "api/lists.hpp"
#include "api/match.hpp"
#include "api/match_index.hpp"
#include "api/service.hpp"
#include "schema/database.hpp"
#include "schema/list_store.hpp"
#include "schema/org_store.hpp"
#include "schema/run_store.hpp"
#include "tests/api/match_runs_fixture.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>

namespace renewmatch::api {
namespace {

using MatchRunsTest = testing::MatchRunsFixture;

// Marks a run failed, so that it never becomes an incremental run's base.
Result<void> MarkFailed(schema::Database& db, std::int64_t run_id) {
    return db.Write([&](schema::Connection& c) -> Result<void> {
        auto stmt = c.Prepare("UPDATE match_runs SET status = 'failed' WHERE id = ?");
        if (!stmt) return stmt.error();
        stmt->BindAll(run_id);
        if (auto r = stmt->Exec(); !r) return r.error();
        return {};
    });
}

TEST_F(MatchRunsTest, FullRunStoresTheMatchersRankingForEveryOpenDemand) {
    PublishData(120, 20, 0);
    RunRequest request;
    request.top_k = 5;
    const auto run = Run(request);
    ASSERT_EQ(run.status, "succeeded") << run.error;
    EXPECT_EQ(run.demands_total, 40);
    EXPECT_EQ(run.demands_scored, 40);
    EXPECT_EQ(run.progress_done, 40);
    EXPECT_EQ(run.supply_lines, 120);
    EXPECT_TRUE(run.stats_epoch_run_id.has_value());
    EXPECT_EQ(*run.stats_epoch_run_id, run.id) << "a full run opens its own statistics epoch";
    EXPECT_EQ(Latest(), run.id);

    // The same ranking the matcher gives, demand by demand, with the pinned statistics.
    const auto view = index_->Current();
    auto stats = matcher::CorpusStatistics::Of(*view.supply);
    auto context = index_->Context(static_cast<matcher::Day>(*run.as_of_day));
    context.statistics = &stats;
    const auto config = *WeightsProfile("default");
    std::vector<const matcher::DemandLine*> demands;
    view.demands->ForEachLive([&](const matcher::DemandLine& d) { demands.push_back(&d); });
    std::sort(demands.begin(), demands.end(), [](auto* a, auto* b) { return a->id < b->id; });
    std::vector<schema::ResultRow> expected;
    std::int64_t examined = 0;
    for (const auto* d : demands) {
        const auto r = matcher::MatchDemand(*view.supply, *d, 5, config, context);
        stats.Pin(r.unpinned_terms);
        examined += static_cast<std::int64_t>(r.examined);
        std::int64_t rank = 0;
        for (const auto& c : r.candidates) {
            schema::ResultRow row;
            row.demand_id = d->id;
            row.rank = ++rank;
            row.supply_id = c.id;
            row.vendor_id = supplier_;
            row.score = c.score;
            for (std::size_t f = 0; f < c.features.size(); ++f)
                row.features[f] = c.features[f].value;
            expected.push_back(row);
        }
    }
    ASSERT_FALSE(expected.empty()) << "the fixture must produce matches";
    EXPECT_EQ(Results(run.id), expected);
    EXPECT_EQ(run.results_count, static_cast<std::int64_t>(expected.size()));
    EXPECT_EQ(run.pairs_examined, examined);
    EXPECT_EQ(run.entered_count, run.results_count) << "first run: everything entered";
}

TEST_F(MatchRunsTest, ScopeFiltersDemandsAndHasItsOwnLatest) {
    PublishData(60, 12, 0);
    RunRequest all;
    const auto a = Run(all);
    RunRequest mine;
    mine.scope.org_id = buyer2_;
    const auto b = Run(mine);
    ASSERT_EQ(b.status, "succeeded");
    EXPECT_EQ(b.demands_total, 12);
    for (const auto& r : Results(b.id)) {
        auto line = db_->Read(
            [&](schema::Connection& c) { return schema::FindLine(c, "demand", r.demand_id); });
        ASSERT_OK(line);
        EXPECT_EQ((*line)->org_id, buyer2_);
    }
    RunRequest region;
    region.scope.region = "32";
    const auto c = Run(region);
    EXPECT_LT(c.demands_total, 24);
    EXPECT_GT(c.demands_total, 0);
    EXPECT_EQ(Latest(), a.id);
    EXPECT_EQ(Latest(mine.scope), b.id);
}

TEST_F(MatchRunsTest, AllocationIsStoredAndNeverOverCommits) {
    PublishData(40, 15, 0);
    RunRequest request;
    request.allocate = true;
    const auto run = Run(request);
    ASSERT_EQ(run.status, "succeeded") << run.error;
    ASSERT_TRUE(run.allocated_quantity.has_value());
    ASSERT_TRUE(run.unassigned_quantity.has_value());
    std::map<std::int64_t, double> committed;
    double assigned = 0;
    for (const auto& r : Results(run.id)) {
        if (!r.allocated_quantity) continue;
        committed[r.supply_id] += *r.allocated_quantity;
        assigned += *r.allocated_quantity;
    }
    EXPECT_GT(assigned, 0);
    EXPECT_DOUBLE_EQ(assigned, *run.allocated_quantity);
    const auto view = index_->Current();
    for (const auto& [supply, q] : committed) {
        const auto* line = view.supply->Find(supply);
        ASSERT_NE(line, nullptr);
        ASSERT_TRUE(line->capacity_per_month.has_value());
        EXPECT_LE(q, *line->capacity_per_month + 1e-9) << "supply line " << supply;
    }
    auto unassigned =
        db_->Read([&](schema::Connection& c) { return schema::ListUnassigned(c, run.id, {}); });
    ASSERT_OK(unassigned);
    double total = 0;
    for (const auto& u : *unassigned) {
        EXPECT_FALSE(u.reason.empty());
        total += u.quantity;
    }
    EXPECT_NEAR(total, *run.unassigned_quantity, 1e-9);
    EXPECT_GT(total, 0) << "capacities 1..6 against 30 demands: some quantity stays unassigned";
}

TEST_F(MatchRunsTest, CancelledAndFailedRunsNeverBecomeLatest) {
    PublishData(60, 20, 0);
    const auto good = Run(RunRequest{});
    ASSERT_EQ(good.status, "succeeded");

    // Cancel after the first batch (DELETE's store call), as the API does.
    int batches = 0;
    const auto cancelled = Run(RunRequest{}, 5, std::nullopt, [&](const schema::RunRecord& r) {
        if (++batches == 1) {
            ASSERT_OK(db_->Write(
                [&](schema::Connection& c) { return schema::RequestCancel(c, r.id, 1); }));
        }
    });
    EXPECT_EQ(cancelled.status, "cancelled");
    EXPECT_EQ(cancelled.progress_done, 5) << "stopped at the first batch boundary";
    EXPECT_GT(cancelled.results_count, 0) << "its partial rows exist under its own id";
    EXPECT_EQ(Latest(), good.id);

    // Shutdown mid-run: failed.
    batches = 0;
    const auto failed = Run(RunRequest{}, 5, std::nullopt, [&](const schema::RunRecord&) {
        if (++batches == 2) stop_ = true;
    });
    stop_ = false;
    EXPECT_EQ(failed.status, "failed");
    EXPECT_EQ(failed.error, "interrupted by shutdown");
    EXPECT_EQ(Latest(), good.id);

    auto latest = db_->Read([&](schema::Connection& c) {
        return schema::LatestSucceededRunForDemand(c, Results(good.id).front().demand_id);
    });
    ASSERT_OK(latest);
    EXPECT_EQ(*latest, good.id);
    const auto body = StoredCandidates(*db_, {Results(good.id).front().demand_id, "latest"});
    ASSERT_TRUE(body.has_value());
    EXPECT_NE(body->find("\"runId\":" + std::to_string(good.id)), std::string::npos) << *body;
}

TEST_F(MatchRunsTest, IncrementalEqualsFullRunOfTheSameEpochAndRescoresLess) {
    PublishData(150, 25, 0);
    RunRequest full;
    full.top_k = 5;
    const auto base = Run(full);
    ASSERT_EQ(base.status, "succeeded") << base.error;

    now_ms_ += 3'600'000;
    PublishData(150, 25, 1);  // 15 lines changed, 6 withdrawn, 5 added; 6 demands changed

    RunRequest incremental = full;
    incremental.mode = "incremental";
    const auto inc = Run(incremental);
    ASSERT_EQ(inc.status, "succeeded") << inc.error;
    EXPECT_EQ(inc.base_run_id, base.id);
    EXPECT_EQ(inc.stats_epoch_run_id, base.id);
    EXPECT_EQ(inc.as_of_day, base.as_of_day);
    EXPECT_EQ(inc.demands_scored + inc.demands_carried, inc.demands_total);
    EXPECT_GT(inc.demands_carried, 0) << inc.note;
    EXPECT_GT(inc.demands_scored, 0) << inc.note;

    const auto reference = Run(full, 7, base.id);
    ASSERT_EQ(reference.status, "succeeded") << reference.error;
    EXPECT_EQ(reference.demands_scored, reference.demands_total);
    EXPECT_EQ(Results(inc.id), Results(reference.id))
        << "incremental (" << inc.note << ") differs from the full run of the same epoch";

    // The diff of the incremental run is relative to the base run.
    EXPECT_EQ(inc.previous_run_id, base.id);
    auto diffs = db_->Read([&](schema::Connection& c) { return schema::ListDiffs(c, inc.id, {}); });
    ASSERT_OK(diffs);
    EXPECT_EQ(static_cast<std::int64_t>(diffs->size()), inc.entered_count + inc.left_count);
}

// Executor-level equivalence for the patched top-k (matcher::PatchTopK): rounds in which only
// prices change (of lines in stored top-ks and elsewhere, up and down: patches that succeed,
// keep the top-k, or are refused because a line fell out), and one with new, withdrawn and
// retitled lines; after every round the incremental run's rows equal, row by row, those of a
// full run in the same statistics epoch.
TEST_F(MatchRunsTest, PatchedIncrementalRunsEqualFullRunsRowByRow) {
    PublishData(150, 25, 0);
    RunRequest full;
    full.top_k = 4;
    const auto base = Run(full);
    ASSERT_EQ(base.status, "succeeded") << base.error;
    std::int64_t patched_total = 0;
    std::string notes;
    for (int round = 1; round <= 4; ++round) {
        now_ms_ += 3'600'000;
        if (round == 4) {
            PublishData(150, 25, 1);  // titles, prices, withdrawals and new lines
        } else {
            PublishPrices(150, round);
        }
        RunRequest incremental = full;
        incremental.mode = "incremental";
        const auto inc = Run(incremental);
        ASSERT_EQ(inc.status, "succeeded") << inc.error;
        EXPECT_EQ(inc.stats_epoch_run_id, base.id);
        const auto reference = Run(full, 7, base.id);
        ASSERT_EQ(reference.status, "succeeded") << reference.error;
        EXPECT_EQ(Results(inc.id), Results(reference.id))
            << "round " << round << ": incremental (" << inc.note
            << ") differs from the full run of the same epoch";
        // The reference must not become the next incremental run's base: mark it failed.
        ASSERT_OK(MarkFailed(*db_, reference.id));
        const auto at = inc.note.find(" patched without a query");
        ASSERT_NE(at, std::string::npos) << inc.note;
        const auto from = inc.note.rfind(' ', at - 1);
        patched_total += std::stoll(inc.note.substr(from + 1, at - from - 1));
        notes += "\n" + inc.note;
    }
    EXPECT_GT(patched_total, 3) << "the price rounds patch stored top-ks:" << notes;
}

// The number just before `phrase` in a run's note (-1 when the phrase is missing).
std::int64_t NoteCount(const std::string& note, const std::string& phrase) {
    const auto at = note.find(phrase);
    if (at == std::string::npos || at == 0) return -1;
    const auto from = note.find_last_of(" (", at - 1);
    return std::stoll(note.substr(from + 1, at - from - 1));
}

TEST_F(MatchRunsTest, RepricedLinesAreSettledOnTheirRecordAndRowsEqualAFullRun) {
    // A re-price keeps the text: the executor marks such lines (line_history's previous
    // revision) and most checks are settled on the line's record without text work; a text
    // edit is not marked. Either way the rows equal a full run of the same epoch.
    PublishData(150, 25, 0);
    RunRequest full;
    full.top_k = 4;
    const auto base = Run(full);
    ASSERT_EQ(base.status, "succeeded") << base.error;
    RunRequest incremental = full;
    incremental.mode = "incremental";
    for (int round = 1; round <= 2; ++round) {
        now_ms_ += 3'600'000;
        if (round == 1) {
            PublishPrices(150, 5);
        } else {
            PublishData(150, 25, 1);  // titles, prices, withdrawals and new lines
        }
        const auto inc = Run(incremental);
        ASSERT_EQ(inc.status, "succeeded") << inc.error;
        const auto reference = Run(full, 7, base.id);
        ASSERT_EQ(reference.status, "succeeded") << reference.error;
        EXPECT_EQ(Results(inc.id), Results(reference.id)) << inc.note;
        ASSERT_OK(MarkFailed(*db_, reference.id));
        const auto changed = NoteCount(inc.note, " supply lines changed");
        const auto same_text = NoteCount(inc.note, " with the same text");
        const auto settled = NoteCount(inc.note, " settled on the record without text");
        ASSERT_GT(changed, 0) << inc.note;
        if (round == 1) {
            EXPECT_EQ(same_text, changed) << inc.note;  // every change is a re-price
            EXPECT_GT(settled, 0) << inc.note;
        } else {
            EXPECT_GE(same_text, 0) << inc.note;
            EXPECT_LT(same_text, changed) << inc.note;  // retitled and new lines are not marked
        }
    }
}

// One supply line of the random-changes test, published as JSON through the list routes.
struct RandomLine {
    int title_a = 0, title_b = 0, desc_a = 0, desc_b = 0, cls = 0, region = 0;
    long price = 0;
    int lead = 0, capacity = 0;
    std::string Json(int i) const {
        return R"({"sku":"S-)" + std::to_string(i) + R"(","title":")" + testing::kWords[title_a] +
               " " + testing::kWords[title_b] + R"(","description":")" + testing::kWords[desc_a] +
               " " + testing::kWords[desc_b] + R"(","brand":"品牌)" + std::to_string(i % 7) +
               R"(","classification":{"scheme":"CPV","id":")" + testing::kClasses[cls] +
               R"("},"price":{"amount":)" + std::to_string(price) +
               R"(,"currency":"CNY","validUntil":"2026-12-31"},"capacityPerMonth":)" +
               std::to_string(capacity) + R"(,"leadTimeDays":)" + std::to_string(lead) +
               R"(,"serviceAreas":[")" + testing::kRegions[region] + R"("]})";
    }
};

// Executor-level property test of the incremental planning (matcher::ChangeIndex relevance
// filter + PatchTopK): rounds of random catalog changes of every kind (re-prices up and down,
// lead times, retitled lines, new descriptions, classification changes, withdrawals, new
// lines, including lines copying a live line's text), two weight profiles and two k; after
// every round the incremental run's rows equal, row by row, a full run of the same statistics
// epoch. A planning that missed a demand a changed line can affect carries a stale top-k and
// fails here.
TEST_F(MatchRunsTest, RandomChangesIncrementalEqualsFullRun) {
    std::int64_t carried_total = 0;
    std::int64_t patched_total = 0;
    std::int64_t rescored_total = 0;
    PublishData(5, 20, 0);  // the demand lists (the catalog is replaced below)
    const std::array<std::tuple<const char*, int, unsigned>, 2> setups = {
        {{"default", 4, 5u}, {"price", 2, 9u}}};
    for (const auto& [profile, k, seed] : setups) {
        std::mt19937 rng(seed);
        auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
        auto random_line = [&] {
            RandomLine l;
            l.title_a = pick(18);
            l.title_b = pick(18);
            l.desc_a = pick(18);
            l.desc_b = pick(18);
            l.cls = pick(4);
            l.region = pick(4);
            l.price = 10000 + pick(90000);
            l.lead = 5 + pick(30);
            l.capacity = 1 + pick(6);
            return l;
        };
        std::map<int, RandomLine> catalog;
        int next = 0;
        for (; next < 120; ++next) catalog[next] = random_line();
        auto publish = [&] {
            std::string supply = R"({"kind":"supply","series":"cat","title":"目录","lines":[)";
            bool first = true;
            for (const auto& [i, line] : catalog) {
                supply += (first ? "" : ",") + line.Json(i);
                first = false;
            }
            supply += "]}";
            auto r = Send(http::verb::post, "/v1/lists", "supplier", supply);
            ASSERT_TRUE(r.result_int() == 201 || r.result_int() == 200) << r.body().substr(0, 500);
        };
        publish();
        RunRequest full;
        full.top_k = k;
        full.weights = profile;
        const auto base = Run(full);
        ASSERT_EQ(base.status, "succeeded") << base.error;
        for (int round = 1; round <= 5; ++round) {
            now_ms_ += 3'600'000;
            std::vector<int> ids;
            for (const auto& [i, line] : catalog) ids.push_back(i);
            for (int c = 0; c < 14; ++c) {
                const int i = ids[static_cast<std::size_t>(pick(static_cast<int>(ids.size())))];
                auto found = catalog.find(i);
                if (found == catalog.end()) continue;
                RandomLine& line = found->second;
                switch (pick(10)) {
                    case 0:
                    case 1:
                    case 2:
                        line.price = line.price * (60 + pick(80)) / 100 + 1;
                        break;
                    case 3:
                        line.lead = 5 + pick(30);
                        break;
                    case 4:
                        line.title_a = pick(18);
                        break;
                    case 5:
                        line.desc_b = pick(18);
                        break;
                    case 6:
                        line.cls = pick(4);
                        break;
                    case 7:
                        catalog.erase(found);  // withdrawn
                        break;
                    case 8:
                        catalog[next++] = random_line();
                        break;
                    default: {
                        RandomLine copy = line;  // a new line with a live line's text
                        copy.price = 10000 + pick(90000);
                        catalog[next++] = copy;
                        break;
                    }
                }
            }
            publish();
            RunRequest incremental = full;
            incremental.mode = "incremental";
            const auto inc = Run(incremental);
            ASSERT_EQ(inc.status, "succeeded") << inc.error;
            ASSERT_TRUE(inc.base_run_id.has_value()) << inc.note;  // not a full run
            EXPECT_EQ(inc.stats_epoch_run_id, base.id);
            const auto reference = Run(full, 7, base.id);
            ASSERT_EQ(reference.status, "succeeded") << reference.error;
            EXPECT_EQ(Results(inc.id), Results(reference.id))
                << profile << " round " << round << ": incremental (" << inc.note
                << ") differs from the full run of the same epoch";
            ASSERT_OK(MarkFailed(*db_, reference.id));
            const auto patched = NoteCount(inc.note, " patched without a query");
            ASSERT_GE(patched, 0) << inc.note;
            patched_total += patched;
            carried_total += inc.demands_carried - patched;
            rescored_total += inc.demands_scored;
        }
    }
    // Not vacuous: demands carried without a patch, patched and rescored all occur.
    EXPECT_GT(carried_total, 20);
    EXPECT_GT(patched_total, 5);
    EXPECT_GT(rescored_total, 5);
}

TEST_F(MatchRunsTest, RunRequestValidation) {
    auto ok = DecodeRunRequest(
        R"({"mode":"incremental","scope":{"classificationPrefix":"4261","region":"32","orgId":3},"allocate":true,"weights":"price","topK":20})");
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->mode, "incremental");
    EXPECT_EQ(ok->scope.Key(), "class=4261;region=32;org=3");
    EXPECT_TRUE(ok->allocate);
    EXPECT_EQ(ok->top_k, 20);
    auto bad = DecodeRunRequest(
        R"({"mode":"sometimes","weights":"nope","topK":0,"scope":{"region":"x"},"role":"job"})");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().kind, Errc::kInvalidArgument);
    std::set<std::string> fields;
    for (const auto& d : bad.error().details) fields.insert(d.field);
    EXPECT_EQ(fields,
              (std::set<std::string>{"/mode", "/weights", "/topK", "/scope/region", "/role"}));
    auto unreadable = DecodeRunRequest("{");
    ASSERT_FALSE(unreadable.has_value());
    EXPECT_EQ(unreadable.error().kind, Errc::kMalformed);
    EXPECT_FALSE(WeightsProfile("nope"));
    EXPECT_NE(WeightsProfile("price")->version, WeightsProfile("default")->version);
}

TEST_F(MatchRunsTest, ResultsRouteFiltersABuyersOwnDemandsAndPages) {
    PublishData(60, 10, 0);
    const auto run = Run(RunRequest{});
    ASSERT_EQ(run.status, "succeeded");
    // No queue in this fixture: POST is 503 after validation, bad bodies 422.
    EXPECT_EQ(Send(http::verb::post, "/v1/match-runs", "buyer", R"({"mode":"full"})").result_int(),
              403u);
    std::set<std::int64_t> seen;
    std::string cursor;
    int pages = 0;
    for (;;) {
        auto r = Send(http::verb::get,
                      "/v1/match-runs/" + std::to_string(run.id) + "/results?limit=7" +
                          (cursor.empty() ? "" : "&cursor=" + cursor),
                      "buyer");
        ASSERT_EQ(r.result_int(), 200u) << r.body();
        auto doc = ParseDocument(r.body());
        ASSERT_TRUE(doc.has_value());
        ++pages;
        for (const auto& item : (*doc)["items"].GetArray()) {
            const auto demand = item["demandId"].GetInt64();
            auto line = db_->Read(
                [&](schema::Connection& c) { return schema::FindLine(c, "demand", demand); });
            ASSERT_OK(line);
            EXPECT_EQ((*line)->org_id, buyer_) << "a buyer sees only its own demands' results";
            seen.insert(demand);
        }
        if (!(*doc)["hasMore"].GetBool()) break;
        cursor = (*doc)["nextCursor"].GetString();
    }
    EXPECT_GT(pages, 1);
    EXPECT_FALSE(seen.empty());
    auto tampered =
        Send(http::verb::get, "/v1/match-runs/" + std::to_string(run.id) + "/results?cursor=3132",
             "buyer");
    EXPECT_EQ(tampered.result_int(), 400u);
    EXPECT_EQ(Send(http::verb::get, "/v1/match-runs/999/results", "buyer").result_int(), 404u);
    auto one = Send(http::verb::get, "/v1/match-runs/" + std::to_string(run.id), "buyer");
    EXPECT_EQ(one.result_int(), 200u);
    EXPECT_NE(one.body().find("\"status\":\"succeeded\""), std::string::npos);
}

// GET /v1/demands/{id}/candidates?run=latest serves the ranking stored by the newest succeeded
// run, with the demand's own visibility rules; before any run it is 404 no_stored_run.
TEST_F(MatchRunsTest, CandidatesRouteServesTheLatestStoredRanking) {
    RegisterMatchRoutes(service_->router());
    PublishData(60, 10, 0);
    auto demand = db_->Read([&](schema::Connection& c) {
        schema::LineQuery q;
        q.entity = "demand";
        q.org_id = buyer_;
        q.limit = 1;
        return schema::ListLines(c, q);
    });
    ASSERT_OK(demand);
    ASSERT_EQ(demand->size(), 1u);
    const std::string target =
        "/v1/demands/" + std::to_string(demand->front().id) + "/candidates?run=latest";
    auto none = Send(http::verb::get, target, "buyer");
    EXPECT_EQ(none.result_int(), 404u) << none.body();
    EXPECT_NE(none.body().find("no_stored_run"), std::string::npos) << none.body();

    RunRequest request;
    request.top_k = 5;
    const auto run = Run(request);
    ASSERT_EQ(run.status, "succeeded") << run.error;
    auto stored = Send(http::verb::get, target, "buyer");
    ASSERT_EQ(stored.result_int(), 200u) << stored.body();
    auto doc = ParseDocument(stored.body());
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ((*doc)["runId"].GetInt64(), run.id);
    std::vector<std::int64_t> served;
    for (const auto& c : (*doc)["candidates"].GetArray())
        served.push_back(c["supplyId"].GetInt64());
    std::vector<std::int64_t> expected;
    for (const auto& row : Results(run.id)) {
        if (row.demand_id == demand->front().id) expected.push_back(row.supply_id);
    }
    ASSERT_FALSE(expected.empty()) << "the fixture must give this demand candidates";
    EXPECT_EQ(served, expected);
    // The same run by id; other buyers are refused; live-only parameters are rejected.
    EXPECT_EQ(Send(http::verb::get,
                   "/v1/demands/" + std::to_string(demand->front().id) +
                       "/candidates?run=" + std::to_string(run.id),
                   "buyer")
                  .body(),
              stored.body());
    EXPECT_EQ(Send(http::verb::get, target, "buyer2").result_int(), 403u);
    EXPECT_EQ(Send(http::verb::get, target, "job").result_int(), 200u);
    EXPECT_EQ(Send(http::verb::get, target + "&limit=3", "buyer").result_int(), 422u);
    EXPECT_EQ(
        Send(http::verb::get, "/v1/demands/999999/candidates?run=latest", "buyer").result_int(),
        404u);
}

}  // namespace
}  // namespace renewmatch::api
