// The "Line writes" matrix of docs/security.md (PATCH and DELETE of demand, supply and project
// lines), machine-read and run cell by cell against api::Service with the real access control:
// a bootstrapped administrator key, organisations and keys created through /v1/orgs, and a real
// SQLite file. For every cell a fresh line of the target organisation is published (by the
// administrator with publisherId) so no cell depends on another.
#include "tests/api/access_matrix_fixture.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace renewmatch::api {
namespace {

class ListsAccessTest : public testing::AccessMatrixFixture {
  protected:
    ListsAccessTest() : AccessMatrixFixture(1'790'000'000'000) {}

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
        const std::string path =
            CollectionOf(entity) + "/" + std::to_string(PublishFor(entity, org, list));
        const auto read = Send(http::verb::get, path, admin_);
        return {path, std::string(read[http::field::etag])};
    }

    int line_counter_ = 0;
};

TEST_F(ListsAccessTest, EveryCellOfTheLineWriteMatrixHolds) {
    const auto matrix = testing::LoadMatrixSection("## Line writes");
    ASSERT_EQ(matrix.columns.size(), 9U) << "no line-writes matrix header in docs/security.md";
    ASSERT_EQ(matrix.rows.size(), 6U) << "PATCH and DELETE rows for the three line kinds";
    const int cells = ForEachCell(matrix, [&](const Cell& cell) {
        const auto method = http::string_to_verb(cell.row.method);
        const std::string entity = EntityOf(cell.row.path);
        ASSERT_FALSE(entity.empty()) << cell.row.path;
        const std::string patch =
            entity == "project" ? R"({"name":"改名 renamed"})" : R"({"title":"改名 renamed"})";
        const auto [path, etag] = FreshLine(entity, cell.target_org);
        const auto r =
            Send(method, path, cell.key, method == http::verb::patch ? patch : std::string(), etag);
        EXPECT_EQ(static_cast<int>(r.result_int()), cell.expected)
            << cell.row.method << " " << cell.row.path << " [" << cell.column << "]: " << r.body();
        if (r.result_int() == 200U) {
            // A successful write really happened: the ETag moved to revision 2.
            EXPECT_NE(std::string(r[http::field::etag]).find("-r2\""), std::string::npos)
                << r.body();
        }
    });
    EXPECT_EQ(cells, 6 * 10);
}

}  // namespace
}  // namespace renewmatch::api
