// Test fixture for the live match index and the match routes: a real SQLite file with two buyer,
// two supplier and one regulator organisation, a MatchIndex (real UDUNITS, embedded chain map),
// and an api::Service with the list routes and the match routes, wired as renewmatchd wires
// them (AppContext::match_index, units from the index, on_lines_changed -> CatchUp, an
// AnswerCache with the default budget as AppContext::answer_cache, so every match test runs
// through the cache; set app_.answer_cache = nullptr for uncached answers).
//
// Keys (a table authenticator, so tests need no key store): "buyer", "buyer2", "supplier",
// "supplier2", "admin" (regulator org), "job" (regulator org).
//
// Thread-safety: Post/Get/Delete may be called from several threads (api::Service is
// thread-safe, the clock is atomic); SetUp/TearDown run on the test thread.
#pragma once

#include "api/answer_cache.hpp"
#include "api/app_context.hpp"
#include "api/json.hpp"
#include "api/lists.hpp"
#include "api/match.hpp"
#include "api/match_index.hpp"
#include "api/service.hpp"
#include "schema/database.hpp"
#include "schema/match_feed.hpp"
#include "schema/org_store.hpp"
#include "tests/api/api_test_support.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>

namespace renewmatch::api::testing {

// 2026-03-01T00:00:00Z: lines in the tests need dates after "today".
inline constexpr std::int64_t kStartMs = 1'772'323'200'000;

class MatchFixture : public ::testing::Test {
  protected:
    // `load`: run MatchIndex::Load in SetUp (false: the test decides when).
    void SetUpFixture(bool load = true) {
        auto db = schema::Database::Open((dir_ / "match.db").string());
        ASSERT_OK(db);
        db_ = std::move(*db);
        ASSERT_OK(db_->Migrate());
        auto orgs = db_->Write([](schema::Connection& c) -> Result<std::vector<std::int64_t>> {
            std::vector<std::int64_t> ids;
            const char* rows[][3] = {{"苏州精机集团", "buyer", "913205001234567890"},
                                     {"无锡重工", "buyer", "913202001234567892"},
                                     {"沈阳机床供应商", "supplier", "912101001234567891"},
                                     {"大连数控", "supplier", "912102001234567893"},
                                     {"省工信厅", "regulator", ""}};
            for (const auto& r : rows) {
                schema::OrgRecord org;
                org.name = r[0];
                org.kind = r[1];
                if (*r[2] != '\0') org.uscc = r[2];
                org.region = "3205";
                org.created_at_ms = org.updated_at_ms = 1;
                auto inserted = schema::InsertOrg(c, org);
                if (!inserted) return inserted.error();
                ids.push_back(inserted->id);
            }
            return ids;
        });
        ASSERT_OK(orgs);
        buyer_org_ = (*orgs)[0];
        buyer2_org_ = (*orgs)[1];
        supplier_org_ = (*orgs)[2];
        supplier2_org_ = (*orgs)[3];
        regulator_org_ = (*orgs)[4];

        std::string error;
        auto index = MatchIndex::Create({}, &error);
        ASSERT_TRUE(index.has_value()) << error;
        index_ = std::move(*index);
        app_.db = db_.get();
        app_.now_ms = [this] { return now_ms_.load(); };
        app_.units = &index_->unit_checker();
        app_.match_index = index_.get();
        cache_ = std::make_unique<AnswerCache>();
        app_.answer_cache = cache_.get();
        app_.on_lines_changed = [this] {
            auto caught_up = index_->CatchUp(*db_);
            if (!caught_up) ++catch_up_failures_;
        };
        service_ = std::make_unique<Service>(app_);
        RegisterListRoutes(service_->router());
        RegisterMatchRoutes(service_->router());
        auto auth = std::make_shared<KeyTable>();
        auth->Add("buyer", Principal{1, buyer_org_, Role::kBuyer});
        auth->Add("buyer2", Principal{2, buyer2_org_, Role::kBuyer});
        auth->Add("supplier", Principal{3, supplier_org_, Role::kSupplier});
        auth->Add("supplier2", Principal{4, supplier2_org_, Role::kSupplier});
        auth->Add("admin", Principal{5, regulator_org_, Role::kAdmin});
        auth->Add("job", Principal{6, regulator_org_, Role::kJob});
        service_->SetAuthenticator(auth);
        if (load) ASSERT_OK(index_->Load(*db_));
    }

    void SetUp() override { SetUpFixture(true); }
    void TearDown() override { EXPECT_EQ(catch_up_failures_.load(), 0); }

    HttpResponse Send(http::verb method,
                      const std::string& target,
                      const std::string& token,
                      std::string body = {}) {
        HttpRequest request{method, target, 11};
        if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
        if (!body.empty()) {
            request.set(http::field::content_type, "application/json");
            request.body() = std::move(body);
            request.prepare_payload();
        }
        const auto n = now_ms_.fetch_add(1000);
        return service_->Handle(request, RequestInfo{"req-" + std::to_string(n), "test"});
    }
    HttpResponse Post(const std::string& target, std::string body, const std::string& token) {
        return Send(http::verb::post, target, token, std::move(body));
    }
    HttpResponse Get(const std::string& target, const std::string& token) {
        return Send(http::verb::get, target, token);
    }
    HttpResponse Delete(const std::string& target, const std::string& token) {
        return Send(http::verb::delete_, target, token);
    }

    // Publishes a list document (JSON); expects 201 or 200 and returns the response document.
    JsonDocument Publish(const std::string& document, const std::string& token) {
        const auto response = Post("/v1/lists", document, token);
        EXPECT_TRUE(response.result_int() == 201 || response.result_int() == 200)
            << response.result_int() << " " << response.body();
        auto doc = ParseDocument(response.body());
        EXPECT_TRUE(doc.has_value());
        return doc ? std::move(*doc) : JsonDocument();
    }

    // The id of the line `ref` (sku) in `entity` ("demand", "supply", "project") of `org`.
    std::int64_t LineId(const std::string& entity, const std::string& ref, std::int64_t org) {
        const std::string path = entity == "supply"   ? "/v1/supply"
                                 : entity == "demand" ? "/v1/demands"
                                                      : "/v1/projects";
        const auto response =
            Get(path + "?publisherId=" + std::to_string(org) + "&limit=1000", "admin");
        auto doc = ParseDocument(response.body());
        if (!doc || !doc->IsObject() || !doc->HasMember("items")) return 0;
        for (const auto& item : (*doc)["items"].GetArray()) {
            const auto& line = item["line"];
            const char* key = entity == "supply" ? "sku" : "ref";
            if (line.HasMember(key) && ref == line[key].GetString()) {
                return item["id"].GetInt64();
            }
        }
        return 0;
    }

    // The change feed's high-water mark.
    std::int64_t LatestSeq() {
        auto seq = db_->Read([](schema::Connection& c) { return schema::LatestChangeSeq(c); });
        EXPECT_TRUE(seq.has_value());
        return seq ? *seq : -1;
    }

    renewmatch::testing::TempDir dir_;
    std::unique_ptr<schema::Database> db_;
    std::unique_ptr<MatchIndex> index_;
    std::unique_ptr<AnswerCache> cache_;
    AppContext app_;
    std::unique_ptr<Service> service_;
    std::atomic<std::int64_t> now_ms_{kStartMs};
    std::atomic<int> catch_up_failures_{0};
    std::int64_t buyer_org_ = 0, buyer2_org_ = 0, supplier_org_ = 0, supplier2_org_ = 0,
                 regulator_org_ = 0;
};

}  // namespace renewmatch::api::testing
