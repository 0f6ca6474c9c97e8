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
    // Child rows only for what SQL filters on (service areas); attributes and certifications
    // live in the body (migration 0007 dropped their tables). Revision 1 has no history row:
    // the line row is that revision.
    EXPECT_EQ(Count("SELECT count(*) FROM service_areas"), 4);
    EXPECT_EQ(Count("SELECT count(*) FROM sqlite_master WHERE name IN ('attributes', "
                    "'certifications', 'requirements', 'required_certifications', "
                    "'line_classifications')"),
              0);
    EXPECT_EQ(Count("SELECT count(*) FROM line_history"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM changes"), 2);
    const auto id_a = Count("SELECT id FROM supply_lines WHERE sku = 'A'");
    const auto id_b = Count("SELECT id FROM supply_lines WHERE sku = 'B'");
    const auto list_1 = Count("SELECT id FROM lists WHERE version = 1");

    auto v2 = Publish({Line("A", 9)}, "a2");
    ASSERT_OK(v2);
    EXPECT_EQ(v2->list.version, 2);
    EXPECT_EQ(v2->changed, (std::vector<std::string>{"A"}));
    EXPECT_EQ(v2->withdrawn, (std::vector<std::string>{"B"}));
    EXPECT_EQ(Count("SELECT id FROM supply_lines WHERE sku = 'A'"), id_a);
    EXPECT_EQ(Count("SELECT revision FROM supply_lines WHERE sku = 'A'"), 2);
    // Children were replaced, not duplicated.
    EXPECT_EQ(Count("SELECT count(*) FROM service_areas WHERE line_id = " + std::to_string(id_a)),
              2);
    // The replaced revision 1 of A and of B (withdrawn) went to history as they were: status,
    // body, list and time of revision 1.
    EXPECT_EQ(Count("SELECT count(*) FROM line_history WHERE entity = 'supply' AND line_id = " +
                    std::to_string(id_a) + " AND revision = 1 AND status = 'active' AND body = " +
                    "'{\"sku\":\"A\",\"price\":1.000000}' AND list_id = " + std::to_string(list_1) +
                    " AND at = 1001"),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM line_history WHERE line_id = " + std::to_string(id_b) +
                    " AND revision = 1 AND status = 'active'"),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM line_history"), 2);
    EXPECT_EQ(Count("SELECT count(*) FROM supply_lines WHERE status = 'withdrawn'"), 1);

    // B comes back: a new revision of the same line, not a new line.
    auto v3 = Publish({Line("A", 9), Line("B", 2)}, "a3");
    ASSERT_OK(v3);
    EXPECT_EQ(v3->unchanged, (std::vector<std::string>{"A"}));
    EXPECT_EQ(v3->changed, (std::vector<std::string>{"B"}));
    EXPECT_EQ(Count("SELECT revision FROM supply_lines WHERE sku = 'B'"), 3);
    EXPECT_EQ(Count("SELECT status = 'active' FROM supply_lines WHERE sku = 'B'"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM supply_lines"), 2);
    // History holds every revision but the current one: A r1; B r1 and r2 (the withdrawal).
    EXPECT_EQ(Count("SELECT count(*) FROM line_history"), 1 + 2);
    EXPECT_EQ(Count("SELECT count(*) FROM line_history WHERE line_id = " + std::to_string(id_b) +
                    " AND revision = 2 AND status = 'withdrawn'"),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM line_history h JOIN supply_lines l ON l.id = h.line_id "
                    "AND l.revision = h.revision"),
              0);
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

// A database written under the old history scheme (every revision, the current one included,
// in line_history; child tables for attributes and the like) migrates to 0007: the rows that
// duplicate a line's current revision go, older revisions stay, the unread child tables and
// unused indexes are dropped, and the next change archives the replaced revision without a
// collision.
TEST(ListStoreMigrationTest, Migration0007KeepsOnlyReplacedRevisionsInHistory) {
    renewmatch::testing::TempDir dir;
    const std::string path = (dir / "old.db").string();
    {
        auto raw = Connection::Open(path, ConnectionOptions{});
        ASSERT_OK(raw);
        Connection& c = **raw;
        ASSERT_OK(c.Exec(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT "
            "NULL, applied_at TEXT NOT NULL)"));
        for (const Migration& m : EmbeddedMigrations()) {
            if (m.version > 6) break;
            ASSERT_OK(c.ExecScript(m.sql));
            auto record = c.Prepare(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, 'x')");
            ASSERT_OK(record);
            ASSERT_OK(record->BindAll(m.version, m.name).Exec());
            ASSERT_OK(c.Exec("PRAGMA user_version = " + std::to_string(m.version)));
        }
        ASSERT_OK(c.ExecScript(R"sql(
            INSERT INTO orgs (id, name, kind, uscc, created_at, updated_at)
                VALUES (1, 'supplier', 'supplier', '913205001234567890', 1, 1);
            INSERT INTO lists (id, org_id, kind, series, version, title, status, digest,
                source_format, line_count, published_at)
                VALUES (1, 1, 'supply', 's', 1, 't', 'current', printf('%064d', 0), 'json', 2, 1);
            INSERT INTO supply_lines (id, org_id, series, sku, list_id, status, revision, title,
                classification_scheme, classification_id, body, created_at, updated_at)
                VALUES (1, 1, 's', 'A', 1, 'active', 1, 'a', 'CPV', '42612000-9', '{"v":1}', 1, 1),
                       (2, 1, 's', 'B', 1, 'active', 2, 'b', 'CPV', '42612000-9', '{"v":2}', 1, 2);
            INSERT INTO attributes (line_id, ord, name, value) VALUES (1, 0, 'x', 1);
            INSERT INTO line_history (entity, line_id, revision, list_id, status, body, at)
                VALUES ('supply', 1, 1, 1, 'active', '{"v":1}', 1),
                       ('supply', 2, 1, 1, 'active', '{"v":1}', 1),
                       ('supply', 2, 2, 1, 'active', '{"v":2}', 2);
        )sql"));
    }
    auto db = Database::Open(path);
    ASSERT_OK(db);
    ASSERT_OK((*db)->Migrate());
    auto count = [&](const std::string& sql) {
        auto r = (*db)->Read([&](Connection& c) -> Result<std::int64_t> {
            auto s = c.Prepare(sql);
            if (!s) return s.error();
            auto row = s->Step();
            if (!row) return row.error();
            return s->ColumnInt64(0);
        });
        EXPECT_TRUE(r.has_value()) << sql;
        return r.has_value() ? *r : -1;
    };
    EXPECT_EQ(count("SELECT count(*) FROM line_history"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM line_history WHERE line_id = 2 AND revision = 1 AND "
                    "body = '{\"v\":1}'"),
              1);
    EXPECT_EQ(count("SELECT count(*) FROM sqlite_master WHERE name IN ('attributes', "
                    "'certifications', 'requirements', 'required_certifications', "
                    "'line_classifications', 'service_areas_region', 'supply_lines_class', "
                    "'demand_lines_class', 'demand_lines_region')"),
              0);
    EXPECT_EQ(count("SELECT count(*) FROM supply_lines"), 2);
    // B's revision 2 is replaced by a withdrawal: archived as revision 2, no UNIQUE collision.
    auto withdrawn = (*db)->Write(
        [](Connection& c) { return WithdrawLine(c, "supply", 2, std::int64_t{2}, 10); });
    ASSERT_OK(withdrawn);
    EXPECT_EQ(withdrawn->revision, 3);
    EXPECT_EQ(count("SELECT count(*) FROM line_history WHERE line_id = 2 AND revision = 2 AND "
                    "body = '{\"v\":2}' AND status = 'active' AND at = 2"),
              1);
}

}  // namespace
}  // namespace renewmatch::schema
