// The match-run executor (api/match_runs.hpp) over a real SQLite file and a real MatchIndex:
// a full run stores exactly the matcher's ranking for every open demand of the scope; scopes
// filter; allocation never over-commits and is stored; the diff against the previous run;
// cancellation and failure never become "latest"; an incremental run after catalog and demand
// changes equals a full run of the same statistics epoch on the same data, while rescoring
// fewer demands; POST body validation.
#include "api/match_runs.hpp"

#include "api/app_context.hpp"
#include "api/json.hpp"
#include "api/lists.hpp"
#include "api/match_index.hpp"
#include "api/service.hpp"
#include "schema/database.hpp"
#include "schema/list_store.hpp"
#include "schema/org_store.hpp"
#include "schema/run_store.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

namespace renewmatch::api {
namespace {

class TokenTable final : public Authenticator {
  public:
    void Add(std::string token, Principal p) { keys_[std::move(token)] = p; }
    Result<Principal> Authenticate(std::string_view header, std::int64_t) override {
        const std::string_view prefix = "Bearer ";
        if (header.substr(0, prefix.size()) != prefix) return Errc::kUnauthenticated;
        auto it = keys_.find(std::string(header.substr(prefix.size())));
        if (it == keys_.end()) return Errc::kUnauthenticated;
        return it->second;
    }

  private:
    std::map<std::string, Principal> keys_;
};

// 2026-03-01T00:00:00Z
constexpr std::int64_t kStartMs = 1'772'323'200'000;

const char* kWords[] = {"数控车床", "加工中心", "工业机器人", "激光切割机", "注塑机", "空压机",
                        "变频器",   "伺服电机", "CNC lathe",  "robot arm",  "laser",  "pump",
                        "高效节能", "智能",     "五轴",       "重型",       "精密",   "立式"};
const char* kClasses[] = {"42612000-9", "42621100-6", "42997300-4", "42123000-7"};
const char* kRegions[] = {"320500", "320200", "310000", "210100"};

// Runs the executor against a database built through the real list routes.
class MatchRunsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto db = schema::Database::Open((dir_ / "runs.db").string());
        ASSERT_OK(db);
        db_ = std::move(*db);
        ASSERT_OK(db_->Migrate());
        auto orgs = db_->Write([](schema::Connection& c) -> Result<std::vector<std::int64_t>> {
            std::vector<std::int64_t> ids;
            const char* rows[][3] = {{"苏州精机集团", "buyer", "913205001234567890"},
                                     {"无锡重工", "buyer", "913202001234567892"},
                                     {"沈阳机床供应商", "supplier", "912101001234567891"}};
            for (const auto& r : rows) {
                schema::OrgRecord org;
                org.name = r[0];
                org.kind = r[1];
                org.uscc = r[2];
                org.region = "3205";
                org.created_at_ms = org.updated_at_ms = 1;
                auto inserted = schema::InsertOrg(c, org);
                if (!inserted) return inserted.error();
                ids.push_back(inserted->id);
            }
            return ids;
        });
        ASSERT_OK(orgs);
        buyer_ = (*orgs)[0];
        buyer2_ = (*orgs)[1];
        supplier_ = (*orgs)[2];
        std::string error;
        auto index = MatchIndex::Create({}, &error);
        ASSERT_TRUE(index.has_value()) << error;
        index_ = std::move(*index);
        app_.db = db_.get();
        app_.now_ms = [this] { return now_ms_.load(); };
        app_.units = &index_->unit_checker();
        service_ = std::make_unique<Service>(app_);
        RegisterListRoutes(service_->router());
        RegisterMatchRunRoutes(service_->router());
        auto auth = std::make_shared<TokenTable>();
        auth->Add("buyer", Principal{1, buyer_, Role::kBuyer});
        auth->Add("buyer2", Principal{2, buyer2_, Role::kBuyer});
        auth->Add("supplier", Principal{3, supplier_, Role::kSupplier});
        service_->SetAuthenticator(auth);
    }

    HttpResponse Send(http::verb method,
                      const std::string& target,
                      const std::string& token,
                      std::string body = {}) {
        HttpRequest request{method, target, 11};
        request.set(http::field::authorization, "Bearer " + token);
        if (!body.empty()) {
            request.set(http::field::content_type, "application/json");
            request.body() = std::move(body);
            request.prepare_payload();
        }
        now_ms_ += 1000;
        return service_->Handle(request, RequestInfo{"req", "test"});
    }

    std::string SupplyLine(int i, std::mt19937& rng, int variant = 0) {
        auto pick = [&](auto& arr) { return arr[rng() % (sizeof(arr) / sizeof(arr[0]))]; };
        const std::string title =
            std::string(pick(kWords)) + " " + pick(kWords) + (variant != 0 ? " 改进型" : "");
        return R"({"sku":"S-)" + std::to_string(i) + R"(","title":")" + title +
               R"(","description":")" + pick(kWords) + " " + pick(kWords) + R"(","brand":"品牌)" +
               std::to_string(i % 7) + R"(","model":"M)" + std::to_string(i % 13) +
               R"(","classification":{"scheme":"CPV","id":")" + pick(kClasses) +
               R"("},"price":{"amount":)" +
               std::to_string(10000 + (rng() % 90000) + static_cast<unsigned>(variant) * 5000) +
               R"(,"currency":"CNY","validUntil":"2026-12-31"},"capacityPerMonth":)" +
               std::to_string(1 + rng() % 6) + R"(,"leadTimeDays":)" +
               std::to_string(5 + rng() % 30) + R"(,"serviceAreas":[")" + pick(kRegions) + R"("]})";
    }
    std::string DemandLine(int i, std::mt19937& rng, int variant = 0) {
        auto pick = [&](auto& arr) { return arr[rng() % (sizeof(arr) / sizeof(arr[0]))]; };
        return R"({"ref":"D-)" + std::to_string(i) + R"(","title":")" + pick(kWords) + " " +
               pick(kWords) + (variant != 0 ? " 加急" : "") +
               R"(","classification":{"scheme":"CPV","id":")" + pick(kClasses) +
               R"("},"quantity":)" + std::to_string(1 + rng() % 4) + R"(,"budget":{"amount":)" +
               std::to_string(20000 + rng() % 200000) + R"(},"deliveryAddress":{"region":")" +
               pick(kRegions) + R"("},"deliveryDate":"2026-09-30"})";
    }

    // Publishes version `variant` of the supply catalog (lines 0..n) and the demand list.
    // In a later variant, every 10th line changes and every 25th disappears; new lines appear.
    void PublishData(int supply_n, int demand_n, int variant) {
        std::mt19937 rng(42);
        std::string supply = R"({"kind":"supply","series":"cat","title":"目录","lines":[)";
        bool first = true;
        for (int i = 0; i < supply_n + variant * 5; ++i) {
            const bool changed = variant != 0 && i % 10 == 3;
            const bool gone = variant != 0 && i % 25 == 7;
            std::string line = SupplyLine(i, rng, changed ? variant : 0);
            if (gone) continue;
            supply += (first ? "" : ",") + line;
            first = false;
        }
        supply += "]}";
        auto r = Send(http::verb::post, "/v1/lists", "supplier", supply);
        ASSERT_TRUE(r.result_int() == 201 || r.result_int() == 200) << r.body().substr(0, 500);
        for (const auto& [org_token, offset] : {std::pair<std::string, int>{"buyer", 0},
                                                std::pair<std::string, int>{"buyer2", 1000}}) {
            std::mt19937 drng(7 + static_cast<unsigned>(offset));
            std::string demand = R"({"kind":"demand","series":"need","title":"需求","lines":[)";
            for (int i = 0; i < demand_n; ++i) {
                const bool changed = variant != 0 && i % 9 == 4;
                demand += (i == 0 ? "" : ",") + DemandLine(offset + i, drng, changed ? variant : 0);
            }
            demand += "]}";
            auto d = Send(http::verb::post, "/v1/lists", org_token, demand);
            ASSERT_TRUE(d.result_int() == 201 || d.result_int() == 200) << d.body().substr(0, 500);
        }
    }

    schema::RunRecord Run(RunRequest request,
                          std::size_t batch = 7,
                          std::optional<std::int64_t> epoch = std::nullopt,
                          std::function<void(const schema::RunRecord&)> progress = {}) {
        auto run = db_->Write([&](schema::Connection& c) {
            return schema::InsertRun(c, MakeNewRun(request, "cli", now_ms_.load()));
        });
        EXPECT_OK(run);
        RunEnvironment env;
        env.db = db_.get();
        env.index = index_.get();
        env.threads = 2;
        env.batch_size = batch;
        env.now_ms = [this] { return now_ms_.load(); };
        env.stats_epoch_run_id = epoch;
        env.on_progress = std::move(progress);
        env.stop = &stop_;
        const auto outcome = ExecuteRun(env, run->id);
        auto row = db_->Read([&](schema::Connection& c) { return schema::FindRun(c, run->id); });
        EXPECT_OK(row);
        EXPECT_EQ((*row)->status, outcome.status);
        return **row;
    }

    std::vector<schema::ResultRow> Results(std::int64_t run_id) {
        auto rows = db_->Read([&](schema::Connection& c) {
            return schema::ResultsInRange(c, run_id, 0, std::numeric_limits<std::int64_t>::max());
        });
        EXPECT_OK(rows);
        return rows ? *rows : std::vector<schema::ResultRow>{};
    }

    std::optional<std::int64_t> Latest(const schema::RunScope& scope = {}) {
        auto r = db_->Read(
            [&](schema::Connection& c) { return schema::LatestSucceededRun(c, scope.Key()); });
        EXPECT_OK(r);
        return r && *r ? std::optional<std::int64_t>((*r)->id) : std::nullopt;
    }

    testing::TempDir dir_;
    std::unique_ptr<schema::Database> db_;
    std::unique_ptr<MatchIndex> index_;
    AppContext app_;
    std::unique_ptr<Service> service_;
    std::atomic<std::int64_t> now_ms_{kStartMs};
    std::atomic<bool> stop_{false};
    std::int64_t buyer_ = 0, buyer2_ = 0, supplier_ = 0;
};

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

}  // namespace
}  // namespace renewmatch::api
