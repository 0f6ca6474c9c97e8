// schema/list_store over a real SQLite file with every migration applied: versions of a series,
// line identity and revisions, withdrawal and reappearance, history and change-feed rows,
// children replaced on change, idempotency records, and rollback leaving nothing behind.
#include "schema/list_store.hpp"

#include "schema/database.hpp"
#include "schema/org_store.hpp"
#include "schema/statement.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <string>

namespace renewmatch::schema {
namespace {

class ListStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto db = Database::Open((dir_ / "store.db").string());
        ASSERT_OK(db);
        db_ = std::move(*db);
        ASSERT_OK(db_->Migrate());
        auto org = db_->Write([](Connection& c) -> Result<OrgRecord> {
            OrgRecord o;
            o.name = "buyer";
            o.kind = "buyer";
            o.uscc = "913205001234567890";
            return InsertOrg(c, o);
        });
        ASSERT_OK(org);
        org_ = org->id;
    }

    static matcher::SupplyLine Line(std::string sku, double price) {
        matcher::SupplyLine s;
        s.sku = std::move(sku);
        s.title = "立式加工中心";
        s.classification = {"CPV", "42612000-9"};
        s.price_amount = price;
        s.attributes.push_back({"主轴转速", 12000, std::nullopt, std::nullopt, "rpm", ""});
        s.service_areas = {"32", "31"};
        s.certifications.push_back({"CCC", "2020", 20000});
        return s;
    }

    Result<PublishResult> Publish(const std::vector<matcher::SupplyLine>& lines,
                                  std::string digest) {
        PublishRequest rq;
        rq.org_id = org_;
        rq.kind = "supply";
        rq.series = "catalog";
        rq.title = "目录";
        rq.digest = digest + std::string(64 - digest.size(), '0');
        rq.source_format = "json";
        rq.now_ms = ++now_;
        rq.supply = &lines;
        for (const auto& l : lines) {
            rq.bodies.push_back("{\"sku\":\"" + l.sku +
                                "\",\"price\":" + std::to_string(*l.price_amount) + "}");
        }
        return db_->Write([&](Connection& c) { return PublishList(c, rq); });
    }

    std::int64_t Count(const std::string& sql) {
        auto r = db_->Read([&](Connection& c) -> Result<std::int64_t> {
            auto s = c.Prepare(sql);
            if (!s) return s.error();
            auto row = s->Step();
            if (!row) return row.error();
            return s->ColumnInt64(0);
        });
        EXPECT_TRUE(r.has_value()) << sql;
        return r.has_value() ? *r : -1;
    }

    renewmatch::testing::TempDir dir_;
    std::unique_ptr<Database> db_;
    std::int64_t org_ = 0;
    std::int64_t now_ = 1000;
};

TEST_F(ListStoreTest, VersionsKeepIdentityAndHistory) {
    auto v1 = Publish({Line("A", 1), Line("B", 2)}, "a1");
    ASSERT_OK(v1);
    EXPECT_EQ(v1->list.version, 1);
    EXPECT_EQ(v1->added, (std::vector<std::string>{"A", "B"}));
    EXPECT_EQ(Count("SELECT count(*) FROM attributes"), 2);
    EXPECT_EQ(Count("SELECT count(*) FROM service_areas"), 4);
    EXPECT_EQ(Count("SELECT count(*) FROM certifications"), 2);
    const auto id_a = Count("SELECT id FROM supply_lines WHERE sku = 'A'");

    auto v2 = Publish({Line("A", 9)}, "a2");
    ASSERT_OK(v2);
    EXPECT_EQ(v2->list.version, 2);
    EXPECT_EQ(v2->changed, (std::vector<std::string>{"A"}));
    EXPECT_EQ(v2->withdrawn, (std::vector<std::string>{"B"}));
    EXPECT_EQ(Count("SELECT id FROM supply_lines WHERE sku = 'A'"), id_a);
    EXPECT_EQ(Count("SELECT revision FROM supply_lines WHERE sku = 'A'"), 2);
    // Children were replaced, not duplicated.
    EXPECT_EQ(Count("SELECT count(*) FROM attributes WHERE line_id = " + std::to_string(id_a)), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM supply_lines WHERE status = 'withdrawn'"), 1);

    // B comes back: a new revision of the same line, not a new line.
    auto v3 = Publish({Line("A", 9), Line("B", 2)}, "a3");
    ASSERT_OK(v3);
    EXPECT_EQ(v3->unchanged, (std::vector<std::string>{"A"}));
    EXPECT_EQ(v3->changed, (std::vector<std::string>{"B"}));
    EXPECT_EQ(Count("SELECT revision FROM supply_lines WHERE sku = 'B'"), 3);
    EXPECT_EQ(Count("SELECT status = 'active' FROM supply_lines WHERE sku = 'B'"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM supply_lines"), 2);
    EXPECT_EQ(Count("SELECT count(*) FROM line_history"), 2 + 2 + 1);
    // The feed is strictly ordered by seq: A/B created, A changed, B withdrawn, B changed.
    EXPECT_EQ(Count("SELECT count(*) FROM changes WHERE ref = 'B' AND change = 'withdrawn' AND "
                    "seq < (SELECT max(seq) FROM changes WHERE ref = 'B' AND change = 'changed')"),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM changes"), 5);
    EXPECT_EQ(Count("SELECT count(*) FROM lists WHERE status = 'current'"), 1);
    auto current =
        db_->Read([&](Connection& c) { return FindCurrentList(c, org_, "supply", "catalog"); });
    ASSERT_OK(current);
    ASSERT_TRUE(current->has_value());
    EXPECT_EQ((*current)->version, 3);
    EXPECT_EQ((*current)->unchanged, 1);
    EXPECT_EQ((*current)->changed, 1);
}

TEST_F(ListStoreTest, FailureInsideTheTransactionLeavesNothing) {
    ASSERT_OK(Publish({Line("A", 1)}, "b1"));
    const auto lists_before = Count("SELECT count(*) FROM lists");
    const auto changes_before = Count("SELECT count(*) FROM changes");
    // A line violating a CHECK (negative price) fails the write after other lines were written.
    auto bad = Publish({Line("Z", 5), Line("Y", -1)}, "b2");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error(), make_error_code(Errc::kConflict));
    EXPECT_EQ(Count("SELECT count(*) FROM lists"), lists_before);
    EXPECT_EQ(Count("SELECT count(*) FROM changes"), changes_before);
    EXPECT_EQ(Count("SELECT count(*) FROM supply_lines WHERE sku = 'Z'"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM lists WHERE status = 'current' AND version = 1"), 1);
}

TEST_F(ListStoreTest, IdempotencyRecords) {
    auto none = db_->Read([&](Connection& c) { return FindIdempotencyKey(c, org_, "k"); });
    ASSERT_OK(none);
    EXPECT_FALSE(none->has_value());
    ASSERT_OK(db_->Write([&](Connection& c) {
        return SaveIdempotencyKey(c, org_, "k", IdempotencyRecord{"d", 201, "{}"}, 5);
    }));
    auto found = db_->Read([&](Connection& c) { return FindIdempotencyKey(c, org_, "k"); });
    ASSERT_OK(found);
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->status_code, 201);
    EXPECT_EQ((*found)->response_body, "{}");
    // The same key twice is a conflict (the api layer checks first, inside the same writer).
    auto again = db_->Write([&](Connection& c) {
        return SaveIdempotencyKey(c, org_, "k", IdempotencyRecord{"e", 201, "{}"}, 6);
    });
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error(), make_error_code(Errc::kConflict));
}

}  // namespace
}  // namespace renewmatch::schema
