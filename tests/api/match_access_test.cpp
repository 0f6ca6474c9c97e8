// The "Match reads" matrix of docs/security.md, machine-read and run cell by cell against
// api::Service with the real access control (a bootstrapped administrator key, organisations and
// keys created through /v1/orgs), a real SQLite file and a loaded MatchIndex kept current by
// on_lines_changed. For every cell a fresh line of the target organisation is published (by the
// administrator with publisherId), so no cell depends on another.
#include "api/auth.hpp"
#include "api/json.hpp"
#include "api/keys.hpp"
#include "api/lists.hpp"
#include "api/match.hpp"
#include "api/match_index.hpp"
#include "api/orgs_uscc.hpp"
#include "api/rate_limit.hpp"
#include "api/service.hpp"
#include "schema/database.hpp"
#include "tests/api/api_test_support.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace renewmatch::api {
namespace {

constexpr std::int64_t kStartMs = 1'772'323'200'000;  // 2026-03-01

std::string Uscc(int n) {
    std::string first17 = "91320505MB2";
    std::string tail;
    for (int i = 0; i < 6; ++i) {
        tail.insert(tail.begin(), kUsccAlphabet[static_cast<std::size_t>(n % 31)]);
        n /= 31;
    }
    first17 += tail;
    return first17 + UsccCheckCharacter(first17);
}

const char* kDemandLine =
    R"({"ref":"D%N%","title":"数控车床 CNC lathe","classification":{"id":"42621100-6"},)"
    R"("quantity":1,"budget":{"amount":654321,"visibility":"hidden"},)"
    R"("deliveryAddress":{"region":"320500"}})";

std::string WithN(std::string text, const std::string& n) {
    for (auto p = text.find("%N%"); p != std::string::npos; p = text.find("%N%")) {
        text.replace(p, 3, n);
    }
    return text;
}

class MatchAccessTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto db = schema::Database::Open((dir_ / "renewmatch.db").string());
        ASSERT_TRUE(db.has_value());
        db_ = std::move(*db);
        ASSERT_TRUE(db_->Migrate().has_value());
        std::string error;
        auto index = MatchIndex::Create({}, &error);
        ASSERT_TRUE(index.has_value()) << error;
        index_ = std::move(*index);
        app_.db = db_.get();
        app_.now_ms = [this] { return clock_ms_ += 10; };
        app_.units = &index_->unit_checker();
        app_.match_index = index_.get();
        app_.on_lines_changed = [this] { EXPECT_TRUE(index_->CatchUp(*db_).has_value()); };
        service_ = std::make_unique<Service>(app_);
        RegisterAccessRoutes(service_->router());
        RegisterListRoutes(service_->router());
        RegisterMatchRoutes(service_->router());
        InstallAccessControl(
            *service_, *db_,
            std::make_shared<TokenBucketLimiter>(RateLimitOptions{.enabled = false}));
        auto admin = BootstrapAdmin(*db_, kStartMs);
        ASSERT_TRUE(admin.has_value() && admin->has_value());
        admin_ = (*admin)->token;
        ASSERT_TRUE(index_->Load(*db_).has_value());
    }

    HttpResponse Send(http::verb method,
                      const std::string& target,
                      const std::string& token,
                      const std::string& body = {}) {
        HttpRequest request{method, target, 11};
        request.set(http::field::host, "localhost");
        if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
        if (!body.empty()) {
            request.set(http::field::content_type, "application/json");
            request.body() = body;
        }
        request.prepare_payload();
        return service_->Handle(request, RequestInfo{});
    }

    std::int64_t CreateOrg(const std::string& kind) {
        std::string body = R"({"name":"Match matrix )" + kind + R"(","kind":")" + kind + R"(")";
        if (kind != "regulator") body += R"(,"uscc":")" + Uscc(++uscc_) + R"(")";
        const auto r = Send(http::verb::post, "/v1/orgs", admin_, body + "}");
        EXPECT_EQ(r.result_int(), 201U) << r.body();
        auto doc = ParseDocument(r.body());
        return doc && doc->IsObject() && (*doc)["id"].IsInt64() ? (*doc)["id"].GetInt64() : 0;
    }

    std::string CreateKey(std::int64_t org, const std::string& role) {
        const auto r = Send(http::verb::post, "/v1/orgs/" + std::to_string(org) + "/keys", admin_,
                            R"({"role":")" + role + R"(","name":"match matrix"})");
        EXPECT_EQ(r.result_int(), 201U) << r.body();
        auto doc = ParseDocument(r.body());
        return doc && doc->IsObject() && (*doc)["key"].IsString() ? (*doc)["key"].GetString() : "";
    }

    // Publishes one fresh line of `entity` for `org` and returns its id.
    std::int64_t FreshLine(const std::string& entity, std::int64_t org) {
        const std::string n = std::to_string(++line_counter_);
        std::string list;
        if (entity == "demand") {
            list = R"({"kind":"demand","series":"m)" + n + R"(","title":"t","lines":[)" +
                   WithN(kDemandLine, n) + "]}";
        } else if (entity == "supply") {
            list = R"({"kind":"supply","series":"m)" + n + R"(","title":"t","lines":[{"sku":"S)" +
                   n + R"(","title":"数控车床 CK6150","classification":{"id":"42621100-6"}}]})";
        } else {
            list = R"({"kind":"project","series":"m)" + n + R"(","title":"t","lines":[{"ref":"P)" +
                   n + R"(","name":"数控化改造","demandRefs":["D1"]}]})";
        }
        list.insert(1, R"("publisherId":)" + std::to_string(org) + ",");
        const auto published = Send(http::verb::post, "/v1/lists", admin_, list);
        EXPECT_EQ(published.result_int(), 201U) << published.body();
        const std::string listing = entity == "demand"   ? "/v1/demands"
                                    : entity == "supply" ? "/v1/supply"
                                                         : "/v1/projects";
        auto page = Send(http::verb::get,
                         listing + "?publisherId=" + std::to_string(org) + "&limit=1000", admin_);
        auto doc = ParseDocument(page.body());
        std::int64_t id = 0;
        if (doc && doc->IsObject() && (*doc)["items"].IsArray()) {
            for (const auto& item : (*doc)["items"].GetArray()) {
                id = std::max(id, item["id"].GetInt64());  // the newest line of the org
            }
        }
        EXPECT_GT(id, 0) << page.body();
        return id;
    }

    renewmatch::testing::TempDir dir_;
    std::unique_ptr<schema::Database> db_;
    std::unique_ptr<MatchIndex> index_;
    AppContext app_;
    std::unique_ptr<Service> service_;
    std::int64_t clock_ms_ = kStartMs;
    std::string admin_;
    int uscc_ = 0;
    int line_counter_ = 0;
};

TEST_F(MatchAccessTest, EveryCellOfTheMatchReadMatrixHolds) {
    const auto matrix = testing::LoadMatrixSection("## Match reads");
    const std::vector<std::string>& columns = matrix.columns;
    const std::vector<testing::MatrixRow>& rows = matrix.rows;
    ASSERT_EQ(columns.size(), 9U) << "no match-reads matrix header in docs/security.md";
    ASSERT_EQ(rows.size(), 4U) << "candidates, opportunities, project candidates, preview";

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
        const std::string entity = row.path.find("/v1/demands/") == 0    ? "demand"
                                   : row.path.find("/v1/supply/") == 0   ? "supply"
                                   : row.path.find("/v1/projects/") == 0 ? "project"
                                                                         : "";
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
                std::string target = row.path;
                std::string body;
                if (const auto p = target.find("{id}"); p != std::string::npos) {
                    target.replace(p, 4, std::to_string(FreshLine(entity, org[target_org])));
                }
                if (method == http::verb::post) body = WithN(kDemandLine, "preview");
                const auto r = Send(method, target, key, body);
                ++cells;
                EXPECT_EQ(static_cast<int>(r.result_int()), row.expected[col])
                    << row.method << " " << row.path << " [" << column
                    << "]: " << r.body().substr(0, 300);
                if (r.result_int() == 200U) {
                    // A real answer, not an empty shell.
                    EXPECT_NE(r.body().find("\"configVersion\""), std::string::npos) << r.body();
                }
                if (r.result_int() != 200U) {
                    EXPECT_EQ(r.body().find("654321"), std::string::npos) << r.body();
                }
            }
        }
    }
    EXPECT_EQ(cells, 4 * 10);
}

}  // namespace
}  // namespace renewmatch::api
