// The "Match reads" matrix of docs/security.md, machine-read and run cell by cell against
// api::Service with the real access control (a bootstrapped administrator key, organisations and
// keys created through /v1/orgs), a real SQLite file and a loaded MatchIndex kept current by
// on_lines_changed. For every cell a fresh line of the target organisation is published (by the
// administrator with publisherId), so no cell depends on another.
#include "api/match.hpp"
#include "api/match_index.hpp"
#include "tests/api/access_matrix_fixture.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace renewmatch::api {
namespace {

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

class MatchAccessTest : public testing::AccessMatrixFixture {
  protected:
    MatchAccessTest() : AccessMatrixFixture(1'772'323'200'000) {}  // 2026-03-01

    void SetUp() override {
        std::string error;
        auto index = MatchIndex::Create({}, &error);
        ASSERT_TRUE(index.has_value()) << error;
        index_ = std::move(*index);
        app_.units = &index_->unit_checker();
        app_.match_index = index_.get();
        app_.on_lines_changed = [this] { EXPECT_TRUE(index_->CatchUp(*db_).has_value()); };
        AccessMatrixFixture::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_TRUE(index_->Load(*db_).has_value());
    }

    void RegisterRoutes(Router& router) override { RegisterMatchRoutes(router); }

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
        return PublishFor(entity, org, list);
    }

    std::unique_ptr<MatchIndex> index_;
    int line_counter_ = 0;
};

TEST_F(MatchAccessTest, EveryCellOfTheMatchReadMatrixHolds) {
    const auto matrix = testing::LoadMatrixSection("## Match reads");
    ASSERT_EQ(matrix.columns.size(), 9U) << "no match-reads matrix header in docs/security.md";
    ASSERT_EQ(matrix.rows.size(), 4U) << "candidates, opportunities, project candidates, preview";
    const int cells = ForEachCell(matrix, [&](const Cell& cell) {
        const auto method = http::string_to_verb(cell.row.method);
        std::string target = cell.row.path;
        std::string body;
        if (const auto p = target.find("{id}"); p != std::string::npos) {
            const std::string entity = EntityOf(cell.row.path);
            ASSERT_FALSE(entity.empty()) << cell.row.path;
            target.replace(p, 4, std::to_string(FreshLine(entity, cell.target_org)));
        }
        if (method == http::verb::post) body = WithN(kDemandLine, "preview");
        const auto r = Send(method, target, cell.key, body);
        EXPECT_EQ(static_cast<int>(r.result_int()), cell.expected)
            << cell.row.method << " " << cell.row.path << " [" << cell.column
            << "]: " << r.body().substr(0, 300);
        if (r.result_int() == 200U) {
            // A real answer, not an empty shell.
            EXPECT_NE(r.body().find("\"configVersion\""), std::string::npos) << r.body();
        }
        if (r.result_int() != 200U) {
            EXPECT_EQ(r.body().find("654321"), std::string::npos) << r.body();
        }
    });
    EXPECT_EQ(cells, 4 * 10);
}

}  // namespace
}  // namespace renewmatch::api
