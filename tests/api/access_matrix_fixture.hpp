// The scaffolding the route-family access tests share: a real SQLite file, api::Service with the
// real access control (a bootstrapped administrator key; organisations and keys created through
// /v1/orgs), and a walk over one authorization table of docs/security.md, cell by cell.
//
// A test fixture derives from AccessMatrixFixture, registers its route family in
// RegisterRoutes (the access and list routes are always there, since every cell publishes its
// own fresh line through /v1/lists), and calls ForEachCell with what one cell does. The walk
// resolves each column ("anonymous", "bad key", "admin", "<role> own", "<role> other") to the
// keys to try and the organisation whose line the cell targets; "bad key" tries two malformed
// keys, so such a column is two calls.
//
// Thread-safety: none; one fixture per test, used from the test's thread.
#pragma once

#include "api/auth.hpp"
#include "api/json.hpp"
#include "api/keys.hpp"
#include "api/lists.hpp"
#include "api/orgs_uscc.hpp"
#include "api/rate_limit.hpp"
#include "api/service.hpp"
#include "schema/database.hpp"
#include "tests/api/api_test_support.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace renewmatch::api::testing {

class AccessMatrixFixture : public ::testing::Test {
  protected:
    explicit AccessMatrixFixture(std::int64_t start_ms) : clock_ms_(start_ms) {}

    // Opens and migrates the database, builds the service with the access and list routes plus
    // RegisterRoutes', installs access control (rate limits off) and bootstraps the
    // administrator. Derived fixtures fill app_ (e.g. a match index) before calling it.
    void SetUp() override {
        auto db = schema::Database::Open((dir_ / "renewmatch.db").string());
        ASSERT_TRUE(db.has_value());
        db_ = std::move(*db);
        ASSERT_TRUE(db_->Migrate().has_value());
        app_.db = db_.get();
        app_.now_ms = [this] { return clock_ms_ += 10; };
        service_ = std::make_unique<Service>(app_);
        RegisterAccessRoutes(service_->router());
        RegisterListRoutes(service_->router());
        RegisterRoutes(service_->router());
        InstallAccessControl(
            *service_, *db_,
            std::make_shared<TokenBucketLimiter>(RateLimitOptions{.enabled = false}));
        auto admin = BootstrapAdmin(*db_, clock_ms_);
        ASSERT_TRUE(admin.has_value() && admin->has_value());
        admin_ = (*admin)->token;
    }

    // The route family under test, beyond the access and list routes.
    virtual void RegisterRoutes(Router& /*router*/) {}

    HttpResponse Send(http::verb method,
                      const std::string& target,
                      const std::string& token,
                      const std::string& body = {},
                      const std::string& if_match = {}) {
        HttpRequest request{method, target, 11};
        request.set(http::field::host, "localhost");
        if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
        if (!if_match.empty()) request.set(http::field::if_match, if_match);
        if (!body.empty()) {
            request.set(http::field::content_type, method == http::verb::patch
                                                       ? "application/merge-patch+json"
                                                       : "application/json");
            request.body() = body;
        }
        request.prepare_payload();
        return service_->Handle(request, RequestInfo{});
    }

    // A valid, distinct unified social credit code for the n-th organisation of the test.
    static std::string Uscc(int n) {
        std::string first17 = "91320505MA1";
        std::string tail;
        for (int i = 0; i < 6; ++i) {
            tail.insert(tail.begin(), kUsccAlphabet[static_cast<std::size_t>(n % 31)]);
            n /= 31;
        }
        first17 += tail;
        return first17 + UsccCheckCharacter(first17);
    }

    std::int64_t CreateOrg(const std::string& kind) {
        std::string body = R"({"name":"Matrix )" + kind + R"(","kind":")" + kind + R"(")";
        if (kind != "regulator") body += R"(,"uscc":")" + Uscc(++uscc_) + R"(")";
        const auto r = Send(http::verb::post, "/v1/orgs", admin_, body + "}");
        EXPECT_EQ(r.result_int(), 201U) << r.body();
        auto doc = ParseDocument(r.body());
        return doc && doc->IsObject() && (*doc)["id"].IsInt64() ? (*doc)["id"].GetInt64() : 0;
    }

    std::string CreateKey(std::int64_t org, const std::string& role) {
        const auto r = Send(http::verb::post, "/v1/orgs/" + std::to_string(org) + "/keys", admin_,
                            R"({"role":")" + role + R"(","name":"matrix"})");
        EXPECT_EQ(r.result_int(), 201U) << r.body();
        auto doc = ParseDocument(r.body());
        return doc && doc->IsObject() && (*doc)["key"].IsString() ? (*doc)["key"].GetString() : "";
    }

    // Publishes the list document `list` (its lines of `entity`: "demand", "supply" or
    // "project") on behalf of `org`, as the administrator with publisherId, and returns the id of
    // the organisation's newest line of that kind (0, with a test failure, when none).
    std::int64_t PublishFor(const std::string& entity, std::int64_t org, std::string list) {
        list.insert(1, R"("publisherId":)" + std::to_string(org) + ",");
        const auto published = Send(http::verb::post, "/v1/lists", admin_, list);
        EXPECT_EQ(published.result_int(), 201U) << published.body();
        const auto page = Send(
            http::verb::get,
            CollectionOf(entity) + "?publisherId=" + std::to_string(org) + "&limit=1000", admin_);
        auto doc = ParseDocument(page.body());
        std::int64_t id = 0;
        if (doc && doc->IsObject() && (*doc)["items"].IsArray()) {
            for (const auto& item : (*doc)["items"].GetArray()) {
                id = std::max(id, item["id"].GetInt64());
            }
        }
        EXPECT_GT(id, 0) << page.body();
        return id;
    }

    // "/v1/demands", "/v1/supply" or "/v1/projects".
    static std::string CollectionOf(const std::string& entity) {
        return entity == "demand"   ? "/v1/demands"
               : entity == "supply" ? "/v1/supply"
                                    : "/v1/projects";
    }

    // The line kind a matrix path addresses ("" for a path under none of the three).
    static std::string EntityOf(const std::string& path) {
        for (const char* entity : {"demand", "supply", "project"}) {
            if (path.rfind(CollectionOf(entity) + "/", 0) == 0) return entity;
        }
        return {};
    }

    // One call of a matrix walk: the row, the column's name and expected status, the key to
    // send ("" = anonymous) and the organisation whose line the cell targets.
    struct Cell {
        const MatrixRow& row;
        const std::string& column;
        int expected = 0;
        const std::string& key;
        std::int64_t target_org = 0;
    };

    // Creates a buyer, a supplier and a regulator organisation with a buyer, a supplier and a
    // job key, then runs `call` for every key of every cell of `matrix`. Returns the number of
    // calls made (a bad-key column counts two).
    int ForEachCell(const MatrixSection& matrix, const std::function<void(const Cell&)>& call) {
        std::map<std::string, std::int64_t> org = {{"buyer", CreateOrg("buyer")},
                                                   {"supplier", CreateOrg("supplier")},
                                                   {"job", CreateOrg("regulator")}};
        std::map<std::string, std::string> token = {
            {"buyer", CreateKey(org["buyer"], "buyer")},
            {"supplier", CreateKey(org["supplier"], "supplier")},
            {"job", CreateKey(org["job"], "job")}};
        const std::map<std::string, std::string> other_of = {
            {"buyer", "supplier"}, {"supplier", "buyer"}, {"job", "buyer"}};
        const std::vector<std::string> bad_keys = {"rmk_999999_" + std::string(43, 'A'),
                                                   "rmk_not-a-key"};
        int calls = 0;
        for (const MatrixRow& row : matrix.rows) {
            EXPECT_EQ(row.expected.size(), matrix.columns.size()) << row.path;
            if (row.expected.size() != matrix.columns.size()) continue;
            for (std::size_t col = 0; col < matrix.columns.size(); ++col) {
                const std::string& column = matrix.columns[col];
                std::vector<std::string> keys;
                std::string target_org = "buyer";
                if (column == "anonymous") {
                    keys = {""};
                } else if (column == "bad key") {
                    keys = bad_keys;
                } else if (column == "admin") {
                    keys = {admin_};
                } else {
                    const auto space = column.find(' ');
                    const std::string role = column.substr(0, space);
                    keys = {token[role]};
                    target_org = column.substr(space + 1) == "own" ? role : other_of.at(role);
                }
                for (const std::string& key : keys) {
                    call(Cell{row, column, row.expected[col], key, org[target_org]});
                    ++calls;
                }
            }
        }
        return calls;
    }

    renewmatch::testing::TempDir dir_;
    std::unique_ptr<schema::Database> db_;
    AppContext app_;
    std::unique_ptr<Service> service_;
    std::int64_t clock_ms_ = 0;
    std::string admin_;
    int uscc_ = 0;
};

}  // namespace renewmatch::api::testing
