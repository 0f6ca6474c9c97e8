// Test fixture for match runs (tests/api/match_runs_test.cpp, tests/server/run_scheduler_test.cpp):
// a real SQLite file with two buyers and a supplier, a real MatchIndex, an api::Service with the
// list and match-run routes behind a token table ("buyer", "buyer2", "supplier", "admin", "job"),
// deterministic generated supply and demand lists published through POST /v1/lists, and a helper
// that executes a run directly. Thread-safety: test thread only.
#pragma once

#include "api/app_context.hpp"
#include "api/json.hpp"
#include "api/lists.hpp"
#include "api/match_index.hpp"
#include "api/match_runs.hpp"
#include "api/service.hpp"
#include "schema/database.hpp"
#include "schema/list_store.hpp"
#include "schema/org_store.hpp"
#include "schema/run_store.hpp"
#include "tests/api/api_test_support.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

namespace renewmatch::api::testing {

// 2026-03-01T00:00:00Z
constexpr std::int64_t kStartMs = 1'772'323'200'000;

const char* kWords[] = {"数控车床", "加工中心", "工业机器人", "激光切割机", "注塑机", "空压机",
                        "变频器",   "伺服电机", "CNC lathe",  "robot arm",  "laser",  "pump",
                        "高效节能", "智能",     "五轴",       "重型",       "精密",   "立式"};
const char* kClasses[] = {"42612000-9", "42621100-6", "42997300-4", "42123000-7"};
const char* kRegions[] = {"320500", "320200", "310000", "210100"};

// Runs the executor against a database built through the real list routes.
class MatchRunsFixture : public ::testing::Test {
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
        auto auth = std::make_shared<KeyTable>();
        auth->Add("buyer", Principal{1, buyer_, Role::kBuyer});
        auth->Add("buyer2", Principal{2, buyer2_, Role::kBuyer});
        auth->Add("supplier", Principal{3, supplier_, Role::kSupplier});
        auth->Add("admin", Principal{4, supplier_, Role::kAdmin});
        auth->Add("job", Principal{5, supplier_, Role::kJob});
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

    // Publishes the variant-0 supply catalog (lines 0..n) with new prices for every line whose
    // (i * 7 + round) % 16 == 0: up or down by up to 35 %, nothing else changed (the demand lists
    // are left alone).
    void PublishPrices(int supply_n, int round) {
        std::mt19937 rng(42);
        std::string supply = R"({"kind":"supply","series":"cat","title":"目录","lines":[)";
        for (int i = 0; i < supply_n; ++i) {
            std::string line = SupplyLine(i, rng, 0);
            if ((i * 7 + round) % 16 == 0) {
                const std::string key = R"("price":{"amount":)";
                const auto at = line.find(key) + key.size();
                const auto end = line.find(',', at);
                const long amount = std::stol(line.substr(at, end - at));
                const long percent = 65 + ((i * 13 + round * 5) % 71);  // 65..135 %
                line.replace(at, end - at, std::to_string(amount * percent / 100 + round));
            }
            supply += (i == 0 ? "" : ",") + line;
        }
        supply += "]}";
        auto r = Send(http::verb::post, "/v1/lists", "supplier", supply);
        ASSERT_TRUE(r.result_int() == 201 || r.result_int() == 200) << r.body().substr(0, 500);
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

    renewmatch::testing::TempDir dir_;
    std::unique_ptr<schema::Database> db_;
    std::unique_ptr<MatchIndex> index_;
    AppContext app_;
    std::unique_ptr<Service> service_;
    std::atomic<std::int64_t> now_ms_{kStartMs};
    std::atomic<bool> stop_{false};
    std::int64_t buyer_ = 0, buyer2_ = 0, supplier_ = 0;
};

}  // namespace renewmatch::api::testing
