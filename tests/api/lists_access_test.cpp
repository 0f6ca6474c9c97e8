// The "Line writes" matrix of docs/security.md (PATCH and DELETE of demand, supply and project
// lines), machine-read and run cell by cell against api::Service with the real access control:
// a bootstrapped administrator key, organisations and keys created through /v1/orgs, and a real
// SQLite file. For every cell a fresh line of the target organisation is published (by the
// administrator with publisherId) so no cell depends on another.
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
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace renewmatch::api {
namespace {

constexpr std::int64_t kStartMs = 1'790'000'000'000;

std::string Uscc(int n) {
    std::string first17 = "91320505MA1";
    std::string tail;
    for (int i = 0; i < 6; ++i) {
        tail.insert(tail.begin(), kUsccAlphabet[static_cast<std::size_t>(n % 31)]);
        n /= 31;
    }
    first17 += tail;
    return first17 + UsccCheckCharacter(first17);
}

class ListsAccessTest : public ::testing::Test {
  protected:
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
        InstallAccessControl(
            *service_, *db_,
            std::make_shared<TokenBucketLimiter>(RateLimitOptions{.enabled = false}));
        auto admin = BootstrapAdmin(*db_, kStartMs);
        ASSERT_TRUE(admin.has_value() && admin->has_value());
        admin_ = (*admin)->token;
    }

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

    std::int64_t CreateOrg(const std::string& kind) {
        std::string body = R"({"name":"Line matrix )" + kind + R"(","kind":")" + kind + R"(")";
        if (kind != "regulator") body += R"(,"uscc":")" + Uscc(++uscc_) + R"(")";
        const auto r = Send(http::verb::post, "/v1/orgs", admin_, body + "}");
        EXPECT_EQ(r.result_int(), 201U) << r.body();
        auto doc = ParseDocument(r.body());
        return doc && doc->IsObject() && (*doc)["id"].IsInt64() ? (*doc)["id"].GetInt64() : 0;
    }

    std::string CreateKey(std::int64_t org, const std::string& role) {
        const auto r = Send(http::verb::post, "/v1/orgs/" + std::to_string(org) + "/keys", admin_,
                            R"({"role":")" + role + R"(","name":"line matrix"})");
        EXPECT_EQ(r.result_int(), 201U) << r.body();
        auto doc = ParseDocument(r.body());
        return doc && doc->IsObject() && (*doc)["key"].IsString() ? (*doc)["key"].GetString() : "";
    }

    // Publishes one fresh line of `entity` for `org`; returns its path and ETag.
    std::pair<std::string, std::string> FreshLine(const std::string& entity, std::int64_t org) {
        const std::string n = std::to_string(++line_counter_);
        std::string list;
        if (entity == "demand") {
            list = R"({"kind":"demand","series":"m)" + n + R"(","title":"t","lines":[{"ref":"D)" +
                   n +
                   R"(","title":"数控车床","classification":{"id":"42621100-6"},"quantity":1,)"
                   R"("deliveryAddress":{"region":"320500"}}]})";
        } else if (entity == "supply") {
            list = R"({"kind":"supply","series":"m)" + n + R"(","title":"t","lines":[{"sku":"S)" +
                   n + R"(","title":"工业机器人","classification":{"id":"42997300-4"}}]})";
        } else {
            list = R"({"kind":"project","series":"m)" + n + R"(","title":"t","lines":[{"ref":"P)" +
                   n + R"(","name":"数控化改造"}]})";
        }
        list.insert(1, R"("publisherId":)" + std::to_string(org) + ",");
        const auto published = Send(http::verb::post, "/v1/lists", admin_, list);
        EXPECT_EQ(published.result_int(), 201U) << published.body();
        const std::string table = entity == "demand"   ? "/v1/demands/"
                                  : entity == "supply" ? "/v1/supply/"
                                                       : "/v1/projects/";
        auto page = Send(http::verb::get,
                         "/v1" + table.substr(3, table.size() - 4) +
                             "?publisherId=" + std::to_string(org) + "&limit=1000",
                         admin_);
        auto doc = ParseDocument(page.body());
        std::int64_t id = 0;
        if (doc && doc->IsObject() && (*doc)["items"].IsArray()) {
            for (const auto& item : (*doc)["items"].GetArray()) {
                id = std::max(id, item["id"].GetInt64());  // the newest line of the org
            }
        }
        EXPECT_GT(id, 0) << page.body();
        const std::string path = table + std::to_string(id);
        const auto read = Send(http::verb::get, path, admin_);
        return {path, std::string(read[http::field::etag])};
    }

    renewmatch::testing::TempDir dir_;
    std::unique_ptr<schema::Database> db_;
    AppContext app_;
    std::unique_ptr<Service> service_;
    std::int64_t clock_ms_ = kStartMs;
    std::string admin_;
    int uscc_ = 0;
    int line_counter_ = 0;
};

TEST_F(ListsAccessTest, EveryCellOfTheLineWriteMatrixHolds) {
    const auto matrix = testing::LoadMatrixSection("## Line writes");
    const std::vector<std::string>& columns = matrix.columns;
    const std::vector<testing::MatrixRow>& rows = matrix.rows;
    ASSERT_EQ(columns.size(), 9U) << "no line-writes matrix header in docs/security.md";
    ASSERT_EQ(rows.size(), 6U) << "PATCH and DELETE rows for the three line kinds";

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
    int cells = 0;
    for (const auto& row : rows) {
        ASSERT_EQ(row.expected.size(), columns.size()) << row.path;
        const auto method = http::string_to_verb(row.method);
        const std::string entity = row.path.find("demands") != std::string::npos  ? "demand"
                                   : row.path.find("supply") != std::string::npos ? "supply"
                                                                                  : "project";
        const std::string patch =
            entity == "project" ? R"({"name":"改名 renamed"})" : R"({"title":"改名 renamed"})";
        for (std::size_t col = 0; col < columns.size(); ++col) {
            const std::string& column = columns[col];
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
            for (const auto& key : keys) {
                const auto [path, etag] = FreshLine(entity, org[target_org]);
                const auto r = Send(method, path, key,
                                    method == http::verb::patch ? patch : std::string(), etag);
                ++cells;
                EXPECT_EQ(static_cast<int>(r.result_int()), row.expected[col])
                    << row.method << " " << row.path << " [" << column << "]: " << r.body();
                if (r.result_int() == 200U) {
                    // A successful write really happened: the ETag moved to revision 2.
                    EXPECT_NE(std::string(r[http::field::etag]).find("-r2\""), std::string::npos)
                        << r.body();
                }
            }
        }
    }
    EXPECT_EQ(cells, 6 * 10);
}

}  // namespace
}  // namespace renewmatch::api
